"""People who sign in, what they may edit (role and scope), their API tokens.

E-mail is the identifier. A Membership gives a role over a scope: an editor or a network
facilitator over local authorities, an embassy agent over a country, an administrator over
everything. Permissions are computed from these rows in `permissions.py`."""

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("adresse électronique"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email


class Role(models.TextChoices):
    EDITOR = "editor", _("Rédacteur d'une collectivité")
    FACILITATOR = "facilitator", _("Animateur de réseau")
    EMBASSY = "embassy", _("Agent d'ambassade")
    ADMIN = "admin", _("Administrateur du ministère")
    # An officer of a foreign authority: answers for it (confirms or contests the records
    # naming it, gives its account). Only ever created by an invitation (PartnerInvitation).
    PARTNER = "partner", _("Agent d'une collectivité partenaire")


class Membership(models.Model):
    """One role of a user over a scope. A user may hold several (editor of two authorities)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    # Editor: the authorities it belongs to; facilitator: those that granted it access.
    authorities = models.ManyToManyField("geo.LocalAuthority", blank=True, related_name="account_memberships")
    country = models.ForeignKey(
        "geo.Country",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_memberships",
        help_text="Embassy agents only",
    )
    organisation = models.ForeignKey(
        "cooperation.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_memberships",
        help_text="The network a facilitator works for",
    )
    programmes = models.ManyToManyField(
        "cooperation.Programme",
        blank=True,
        related_name="facilitator_memberships",
        help_text="Programmes a facilitator carries",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_embassy_has_country",
                condition=~models.Q(role="embassy") | models.Q(country__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class ApiToken(models.Model):
    """A personal token for the write API. Only its SHA-256 is stored: a leaked database
    gives no usable token. Tokens are 256-bit random, so a fast hash is enough."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class SignInFailure(models.Model):
    """A failed sign-in, counted per e-mail and per address to throttle guessing.
    A table rather than the cache: every server process sees the same count."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.CharField(max_length=45, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} {self.ip} {self.at:%Y-%m-%d %H:%M}"


class PartnerInvitation(models.Model):
    """An invitation for an officer of a foreign authority to answer for it (role partner).

    Sent by the embassy of the authority's country, an administrator, or an editor of a
    French authority in partnership with it. Only the SHA-256 of the token is stored (as
    for API tokens); the token works once, before `expires_at`."""

    authority = models.ForeignKey(
        "geo.LocalAuthority", on_delete=models.CASCADE, related_name="partner_invitations"
    )
    email = models.EmailField(_("adresse électronique"))
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="partner_invitations_sent"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="partner_invitations_accepted"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.authority_id}"
