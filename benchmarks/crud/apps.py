from django.apps import AppConfig


class CrudBaselineConfig(AppConfig):
    name = "benchmarks.crud"
    label = "crud_baseline"
    verbose_name = "CRUD baseline (benchmarks only)"
