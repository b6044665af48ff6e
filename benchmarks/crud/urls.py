from django.urls import path

from benchmarks.crud import views

urlpatterns = [path("bench/crud/add/", views.add, name="crud-add")]
