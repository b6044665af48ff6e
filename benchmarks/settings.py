"""The benchmark settings: the shop's, plus the CRUD baseline app and its URL, and the lag
benchmark's subscriber (registered only in a worker started with BENCH_LAG_FILE).

`make bench` runs the shop (in process and under gunicorn) with these; the baseline app is
never in the shop's own settings.
"""

from shop.env import env
from shop.settings import *  # noqa: F403
from shop.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.lag", "benchmarks.crud"]
ROOT_URLCONF = "benchmarks.urls"

# The lag benchmark's worker writes what its subscriber saw here (benchmarks/lag).
BENCH_LAG_FILE = env("BENCH_LAG_FILE", "")
