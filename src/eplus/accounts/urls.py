"""Account URLs mounted at /accounts/ before allauth's, so the verification link can be overridden.

``confirm-email/<key>/`` has the same path as allauth's ``account_confirm_email``: reversing that
name gives this view.
"""

from django.urls import path

from eplus.accounts import views

app_name = "accounts"
urlpatterns = [
    path("confirm-email/<str:key>/", views.confirm_email, name="confirm_email"),
    path("verification/new-link/", views.resend_verification, name="resend_verification"),
    path("profile/", views.account_data, name="account_data"),
    path("privacy/accept/", views.accept_privacy, name="accept_privacy"),
]
