from wismo.handoff import mrkdwn


def test_long_unsplittable_text_is_clipped_without_breaking_entities():
    clipped = mrkdwn.clip("&" * 5000, 100)

    assert len(clipped) <= 100 and clipped.endswith("&amp;…")


def test_agent_reply_reaches_the_customer_without_slack_markup():
    text = ("Hi Ava &amp; sorry! Fill in <https://x.co/claim|the claim form> or "
            "<https://x.co>, ask <@U0SAM|sam> or <mailto:help@x.co|help@x.co>. 1 &lt; 2")

    assert mrkdwn.from_slack(text) == ("Hi Ava & sorry! Fill in the claim form "
                                       "(https://x.co/claim) or https://x.co, ask @sam or "
                                       "help@x.co. 1 < 2")
