"""Reference code lists, loaded from data files by `coopatlas load-reference`.

OECD/IATI lists come from the IATI codelists (DAC sectors with French names, SDGs, policy
markers, CRS channels, organisation types). The atlas theme tree and the guide's ten
chapters are our own data, with a mapping between them and to DAC sectors.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual(models.Model):
    # SDG target texts run to 670 characters (UNSDG-Targets.xml); PostgreSQL enforces the limit.
    name_fr = models.CharField(max_length=1000)
    name_en = models.CharField(max_length=1000, blank=True)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        lang = (get_language() or "fr")[:2]
        return (self.name_en if lang == "en" and self.name_en else self.name_fr) or self.name_en

    def __str__(self) -> str:
        return self.name


class SectorCategory(Bilingual):
    """DAC 3-digit sector category (e.g. 140 Water supply and sanitation)."""

    code = models.CharField(max_length=3, primary_key=True)


class Sector(Bilingual):
    """DAC 5-digit purpose code (e.g. 14030 Basic drinking water supply)."""

    code = models.CharField(max_length=5, primary_key=True)
    category = models.ForeignKey(SectorCategory, on_delete=models.PROTECT, related_name="sectors")
    description = models.TextField(blank=True)
    withdrawn = models.BooleanField(default=False)


class SdgGoal(Bilingual):
    number = models.PositiveSmallIntegerField(primary_key=True)


class SdgTarget(Bilingual):
    code = models.CharField(max_length=8, primary_key=True, help_text="e.g. 6.1, 16.a")
    goal = models.ForeignKey(SdgGoal, on_delete=models.PROTECT, related_name="targets")


class PolicyMarker(Bilingual):
    """OECD policy marker (IATI PolicyMarker code list: 1 gender, 2 environment…)."""

    code = models.CharField(max_length=3, primary_key=True)
    slug = models.SlugField(max_length=40, unique=True, help_text="gender, environment…")


class OrganisationType(Bilingual):
    code = models.CharField(max_length=3, primary_key=True)


class Channel(Bilingual):
    """OECD CRS channel code (e.g. 12000 recipient government, 22000 donor-country NGO)."""

    code = models.CharField(max_length=5, primary_key=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True)


class GuideChapter(Bilingual):
    """One of the ten thematic chapters of the state's operational guide (seed 001)."""

    number = models.PositiveSmallIntegerField(primary_key=True)
    slug = models.SlugField(max_length=60, unique=True)


class Theme(Bilingual):
    """The state's atlas theme tree (level 1 › 2 › 3), mapped to guide chapters and DAC sectors."""

    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    level = models.PositiveSmallIntegerField()
    guide_chapters = models.ManyToManyField(GuideChapter, blank=True, related_name="themes")
    sectors = models.ManyToManyField(Sector, blank=True, related_name="themes")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["level", "position", "name_fr"]
        constraints = [
            models.CheckConstraint(name="theme_level_1_3", condition=Q(level__gte=1, level__lte=3)),
        ]

    def path(self) -> list["Theme"]:
        node, out = self, []
        while node is not None:
            out.append(node)
            node = node.parent
        return list(reversed(out))


class Currency(models.Model):
    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name_plural = _("currencies")

    def __str__(self) -> str:
        return self.code
