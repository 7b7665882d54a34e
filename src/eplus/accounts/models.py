from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from eplus.core.audit import AuditedModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AuditedModel, AbstractUser):
    """A person. Logs in with an e-mail address; acts for organisations and/or agencies."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email_language = models.CharField(
        _("e-mail language"), max_length=8, default="en",
        choices=[("en", _("English")), ("lv", _("Latvian"))],
        help_text=_("The language of the e-mails eplus sends you."),
    )
    privacy_accepted_at = models.DateTimeField(_("privacy notice accepted"), null=True, blank=True)
    # The Commission role: may flag success stories on the results platform.
    is_commission = models.BooleanField(_("Commission staff"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    audit_exclude = ("last_login", "updated_at", "version")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        full = self.get_full_name()
        return f"{full} <{self.email}>" if full else self.email

    @property
    def is_expert(self):
        from eplus.programme.models import AgencyMembership
        from eplus.programme.scoping import agency_roles

        return any(role == AgencyMembership.Role.EXPERT for _agency, role in agency_roles(self))

    @property
    def must_use_mfa(self):
        """MFA is enforced for agency staff, experts, the Commission and administrators; optional for
        applicants."""
        from eplus.programme.scoping import is_agency_staff

        return self.is_staff or self.is_superuser or self.is_commission or is_agency_staff(self) or self.is_expert
