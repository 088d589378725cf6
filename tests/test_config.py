import pytest

from wismo.config import Settings
from wismo.errors import ConfigError


def test_no_store_configured_means_sandbox():
    settings = Settings.from_env({})
    assert settings.uses_sandbox
    assert settings.easypost_base_url == "https://api.easypost.com"
    assert (settings.rasa_port, settings.action_port) == (5005, 5055)


def test_a_store_without_its_token_names_the_missing_variable():
    with pytest.raises(ConfigError, match="SHOPIFY_ACCESS_TOKEN"):
        Settings.from_env({"SHOPIFY_STORE_URL": "https://shop.myshopify.com"})


def test_bad_numbers_name_the_variable():
    with pytest.raises(ConfigError, match="WISMO_RASA_PORT"):
        Settings.from_env({"WISMO_RASA_PORT": "five"})


def test_real_store_settings_round_trip_to_a_child_process():
    env = {"SHOPIFY_STORE_URL": "https://shop.myshopify.com", "SHOPIFY_ACCESS_TOKEN": "shpat_x",
           "EASYPOST_API_KEY": "EZAK_x", "WISMO_RETURN_POLICY": "60 days, free returns."}
    settings = Settings.from_env(env)
    assert not settings.uses_sandbox
    assert settings.return_policy == "60 days, free returns."
    assert Settings.from_env(settings.to_env()).shopify_access_token == "shpat_x"


def test_every_setting_reaches_a_child_process():
    settings = Settings(http_timeout=2.0, http_retries=1, max_verification_attempts=3,
                        timezone="America/Denver", support_hours="24/7")
    assert Settings.from_env(settings.to_env()) == settings
