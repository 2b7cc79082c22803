"""The router's URLs: every app's `api.py` registers its viewsets on import."""

from django.utils.module_loading import autodiscover_modules

from fuwushe.api import router

autodiscover_modules("api")

urlpatterns = router.urls
