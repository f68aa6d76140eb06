from collections import Counter

import pytest

from coopatlas.cooperation.models import Partnership, Project
from coopatlas.cooperation.synth import Scale, synth_generate
from coopatlas.core.errors import AppError
from coopatlas.geo.models import LocalAuthority

SMALL = Scale(projects=300, french=60, foreign=120, countries=20, partnerships=200)

pytestmark = pytest.mark.django_db


def _quiet(*_args):
    pass


def test_generates_the_requested_counts_all_marked_synthetic():
    real_projects = Project.objects.filter(is_synthetic=False).count()
    counts = synth_generate(scale="small", size=SMALL, log=_quiet)
    assert counts["projects"] == 300
    assert counts["partnerships"] == 200
    assert LocalAuthority.objects.filter(is_synthetic=True, country_id="FR").count() == 60
    assert LocalAuthority.objects.filter(is_synthetic=True).exclude(country_id="FR").count() == 120
    synthetic = Project.objects.filter(is_synthetic=True)
    assert synthetic.count() == 300
    assert all(p.source.is_synthetic for p in synthetic.select_related("source")[:50])
    assert all(p.title.startswith("Synth") for p in synthetic[:50])
    assert Project.objects.filter(is_synthetic=False).count() == real_projects


def test_running_again_replaces_instead_of_adding():
    synth_generate(scale="small", size=SMALL, log=_quiet)
    synth_generate(scale="small", size=SMALL, seed=2, log=_quiet)
    assert Project.objects.filter(is_synthetic=True).count() == 300
    assert Partnership.objects.filter(is_synthetic=True).count() == 200


def test_each_partnership_joins_a_french_and_a_foreign_authority():
    synth_generate(scale="small", size=SMALL, log=_quiet)
    for partnership in Partnership.objects.filter(is_synthetic=True).prefetch_related("parties")[:100]:
        countries = sorted(a.country_id == "FR" for a in partnership.parties.all())
        assert countries == [False, True]


def test_skewed_like_real_data_a_few_countries_hold_most():
    synth_generate(scale="small", size=SMALL, log=_quiet)
    per_country = Counter(
        LocalAuthority.objects.filter(is_synthetic=True)
        .exclude(country_id="FR")
        .values_list("country_id", flat=True)
    )
    top3 = sum(n for _, n in per_country.most_common(3))
    assert top3 > 0.3 * sum(per_country.values())


def test_unknown_scale_is_refused_with_the_accepted_values():
    with pytest.raises(AppError, match="national, 10x"):
        synth_generate(scale="huge", log=_quiet)
