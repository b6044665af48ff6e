"""Settings for the test suite: the production settings, with a test key and plain static."""

import base64
import os

os.environ.setdefault("SECRET_KEY", "test-suite-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SHOP_PLAIN_STATIC", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# A master key of this run's own (servers the tests start inherit it).
os.environ.setdefault("SHOP_DATA_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())

from shop.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files from the app folders, as runserver does; no collectstatic under test.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Product pictures go to a folder of this run's own, and the shop serves them itself.
import tempfile  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="shop-media-"))  # noqa: F405
SHOP_SERVE_MEDIA = True
import atexit  # noqa: E402
import shutil  # noqa: E402

atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
