"""The benchmarks' CRUD baseline exists only under the benchmark settings."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from tests.support.servers import ROOT


def test_the_shop_has_no_benchmark_app_and_no_benchmark_url():
    assert not [app for app in settings.INSTALLED_APPS if app.startswith("benchmarks")]
    with pytest.raises(Resolver404):
        resolve("/bench/crud/add/")


def test_the_benchmark_settings_add_the_crud_baseline_to_the_whole_shop():
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.urls import resolve\n"
        "print(settings.INSTALLED_APPS[-1])\n"
        "print(resolve('/bench/crud/add/').func.__module__)\n"
        "print(resolve('/cart/add/').view_name)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DATABASE_URL": "sqlite://:memory:",
        "SECRET_KEY": "benchmark-settings-test-key-0123456789-0123456789",
    }
    shown = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["benchmarks.crud", "benchmarks.crud.views", "carts:add"]
