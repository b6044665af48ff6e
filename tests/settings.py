"""Settings for the test suite: the production settings, with a test key and plain static."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SHOP_PLAIN_STATIC", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from shop.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files from the app folders, as runserver does; no collectstatic under test.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
