"""The readiness checks of this process's own state (pure: no server needed)."""

from bot import health


def test_readiness_waits_for_the_spelling_dictionary_then_says_so():
    loading = health.check_spelling("en", lambda language: False)
    assert not loading.ok and "loading the 'en' spelling dictionary" in loading.reason
    loaded = health.check_spelling("en", lambda language: language == "en")
    assert loaded.ok
