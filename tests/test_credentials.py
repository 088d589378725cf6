import stat

import yaml

from wismo.credentials import plan_channels, short_name, write_credentials

TEMPLATE = """\
rest:
channels.webchat.WebChatInput:
  session_persistence: true
channels.telegram.TelegramInput:
  access_token: ${TELEGRAM_BOT_TOKEN}
  secret_token: ${TELEGRAM_SECRET_TOKEN}
  api_base_url: ${TELEGRAM_API_BASE_URL:-}
  limit: ${TELEGRAM_LIMIT:-30}
channels.twilio_messaging.SmsInput:
  account_sid: ${TWILIO_ACCOUNT_SID}
  public_url: https://${TUNNEL_HOST}/x
"""


def plan(tmp_path, env):
    path = tmp_path / "credentials.yml"
    path.write_text(TEMPLATE)
    return plan_channels(path, env)


def test_with_no_variables_only_the_channels_needing_none_start(tmp_path):
    result = plan(tmp_path, {})
    assert list(result.blocks) == ["rest", "channels.webchat.WebChatInput"]
    assert result.unconfigured == ["channels.telegram.TelegramInput",
                                   "channels.twilio_messaging.SmsInput"]
    assert result.incomplete == {}
    assert result.channel_names() == ["rest", "webchat"]


def test_a_configured_channel_starts_with_its_values_expanded(tmp_path):
    result = plan(tmp_path, {"TWILIO_ACCOUNT_SID": "AC123", "TUNNEL_HOST": "abc.example.com"})
    assert result.blocks["channels.twilio_messaging.SmsInput"] == {
        "account_sid": "AC123", "public_url": "https://abc.example.com/x"}


def test_optional_keys_take_their_default_or_are_left_out(tmp_path):
    result = plan(tmp_path, {"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_SECRET_TOKEN": "s3cret"})
    assert result.blocks["channels.telegram.TelegramInput"] == {
        "access_token": "1:abc", "secret_token": "s3cret", "limit": "30"}
    result = plan(tmp_path, {"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_SECRET_TOKEN": "s3cret",
                             "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"})
    assert result.blocks["channels.telegram.TelegramInput"]["api_base_url"] == (
        "http://127.0.0.1:9/bot")


def test_a_half_configured_channel_is_not_started_and_says_what_is_missing(tmp_path):
    result = plan(tmp_path, {"TELEGRAM_BOT_TOKEN": "1:abc"})
    assert "channels.telegram.TelegramInput" not in result.blocks
    assert result.incomplete == {"channels.telegram.TelegramInput": ["TELEGRAM_SECRET_TOKEN"]}


def test_the_written_file_is_what_rasa_reads_and_private(tmp_path):
    result = plan(tmp_path, {"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_SECRET_TOKEN": "s"})
    path = write_credentials(result, tmp_path / "var" / "credentials.yml")
    assert yaml.safe_load(path.read_text()) == result.blocks
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_short_names():
    assert short_name("channels.twilio_messaging.WhatsAppInput") == "whatsapp"
    assert short_name("rest") == "rest"
    assert short_name("channels.slack_handoff.SlackHandoffInput") == "slack"


def test_the_shipped_file_starts_slack_in_socket_mode_with_its_tokens():
    from pathlib import Path

    shipped = Path(__file__).resolve().parent.parent / "credentials.yml"
    result = plan_channels(shipped, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
                                     "SLACK_HANDOFF_CHANNEL": "C0SUPPORT"})
    assert result.blocks["channels.slack_handoff.SlackHandoffInput"] == {
        "bot_token": "xoxb-1", "channel": "C0SUPPORT", "app_token": "xapp-1"}
    half = plan_channels(shipped, {"SLACK_BOT_TOKEN": "xoxb-1"})
    assert half.incomplete["channels.slack_handoff.SlackHandoffInput"] == [
        "SLACK_HANDOFF_CHANNEL"]
