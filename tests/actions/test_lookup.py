from actions.lookup import ValidateOrderLookupForm
from tests.actions.conftest import form_turn, make_tracker, run, slots_of

FORM = ValidateOrderLookupForm()
VERIFIED = {"verified_order": "1001", "verified_email": "ava.thompson@example.com",
            "order_number": "1001", "proof": "80202"}


def test_order_number_then_matching_email_verifies(env):
    asked = make_tracker(slots={"requested_slot": "proof", "order_number": "1001"},
                         text="ava.thompson@example.com", active_loop="order_lookup_form")
    texts, _, events = run(FORM, form_turn(asked, proof="ava.thompson@example.com"))
    slots = slots_of(events)
    assert slots["verified_order"] == "1001"
    assert slots["verified_email"] == "ava.thompson@example.com"
    assert slots["requested_slot"] is None  # the form ends: nothing left to ask
    assert texts == []


def test_postal_code_with_zip4_verifies(env):
    asked = make_tracker(slots={"requested_slot": "proof", "order_number": "1001"},
                         text="80202-1234", active_loop="order_lookup_form")
    _, _, events = run(FORM, form_turn(asked, proof="80202-1234"))
    assert slots_of(events)["verified_order"] == "1001"


def test_mismatch_is_neutral_and_counts(env):
    asked = make_tracker(slots={"requested_slot": "proof", "order_number": "1001",
                                "verification_failures": 1},
                         text="nobody@example.com", active_loop="order_lookup_form")
    texts, _, events = run(FORM, form_turn(asked, proof="nobody@example.com"))
    slots = slots_of(events)
    assert texts == ["Sorry, I couldn't find an order matching those details. Please check the "
                     "order number and the email or postal code from your confirmation email, "
                     "and try again."]
    assert slots["verification_failures"] == 2
    assert slots["order_number"] is None and slots["proof"] is None
    assert "verified_order" not in slots


def test_unknown_order_reads_exactly_like_a_wrong_email(env):
    asked = make_tracker(slots={"requested_slot": "proof", "order_number": "9999"},
                         text="ava.thompson@example.com", active_loop="order_lookup_form")
    texts, _, _ = run(FORM, form_turn(asked, proof="ava.thompson@example.com"))
    assert texts[0].startswith("Sorry, I couldn't find an order matching those details.")


def test_fifth_failure_locks_the_lookup(env):
    asked = make_tracker(slots={"requested_slot": "proof", "order_number": "1001",
                                "verification_failures": 4},
                         text="nobody@example.com", active_loop="order_lookup_form")
    _, _, events = run(FORM, form_turn(asked, proof="nobody@example.com"))
    slots = slots_of(events)
    assert slots["lookup_locked"] is True
    assert slots["requested_slot"] is None


def test_a_number_tagged_as_both_order_and_postal_code_is_the_order_number(env):
    asked = make_tracker(slots={"requested_slot": "order_number"}, text="1001",
                         active_loop="order_lookup_form")
    texts, _, events = run(FORM, form_turn(asked, order_number="1001", proof="1001"))
    slots = slots_of(events)
    assert slots["order_number"] == "1001"
    assert slots["proof"] is None  # so the form asks for it next
    assert texts == []


def test_another_order_of_the_verified_customer_needs_no_new_proof(env):
    verified = {"verified_order": "1001", "verified_email": "ava.thompson@example.com",
                "proof": "80202"}
    asked = make_tracker(slots=verified, text="what about 1031", intent="order_status",
                         active_loop="order_lookup_form")
    _, _, events = run(FORM, form_turn(asked, order_number="1031"))
    assert slots_of(events)["verified_order"] == "1031"


def test_someone_elses_order_asks_for_its_own_proof_without_counting_a_failure(env):
    verified = {"verified_order": "1001", "verified_email": "ava.thompson@example.com",
                "proof": "80202"}
    asked = make_tracker(slots=verified, text="and 1010?", active_loop="order_lookup_form")
    texts, _, events = run(FORM, form_turn(asked, order_number="1010"))
    slots = slots_of(events)
    assert slots["proof"] is None  # so the form asks for this order's proof
    assert "verification_failures" not in slots and texts == []


def test_free_text_without_a_number_is_asked_again_kindly(env):
    asked = make_tracker(slots={"requested_slot": "order_number"}, text="i dont have it",
                         active_loop="order_lookup_form")
    texts, _, events = run(FORM, form_turn(asked, order_number="i dont have it"))
    assert "couldn't spot an order number" in texts[0]
    assert slots_of(events)["order_number"] is None


def test_a_tracking_number_instead_of_the_order_number_is_explained(env):
    asked = make_tracker(slots={"requested_slot": "order_number"}, text="1Z999AA10123456784",
                         active_loop="order_lookup_form")
    texts, _, _ = run(FORM, form_turn(asked, order_number="1Z999AA10123456784"))
    assert "looks like a tracking number" in texts[0]


def test_store_down_ends_the_form_without_a_failure(env, sandbox):
    sandbox.arm_rate_limit(1)  # the lookup's one call answers 429; retries are off here
    asked = make_tracker(slots={"requested_slot": "proof", "order_number": "1001"},
                         text="80202", active_loop="order_lookup_form")
    _, _, events = run(FORM, form_turn(asked, proof="80202"))
    slots = slots_of(events)
    assert slots["lookup_unavailable"] is True
    assert "verification_failures" not in slots


def test_an_email_instead_of_the_order_number_asks_for_the_postal_code(env):
    asked = make_tracker(slots={"requested_slot": "order_number"},
                         text="i dont know it, my email is priya.patel@example.com",
                         active_loop="order_lookup_form")
    texts, _, events = run(FORM, form_turn(asked, order_number=asked.latest_message["text"],
                                           proof="priya.patel@example.com"))
    slots = slots_of(events)
    assert slots["lookup_email"] == "priya.patel@example.com"
    assert slots["requested_slot"] == "postal_check"
    assert texts == []


def test_email_and_postal_code_verify_the_customer_and_leave_the_choice_of_order(env):
    asked = make_tracker(slots={"requested_slot": "postal_check",
                                "lookup_email": "priya.patel@example.com"},
                         text="02108", active_loop="order_lookup_form")
    _, _, events = run(FORM, form_turn(asked, postal_check="02108"))
    slots = slots_of(events)
    assert slots["verified_email"] == "priya.patel@example.com"
    assert slots["order_number"] is None and "verified_order" not in slots
    assert slots["requested_slot"] is None


def test_email_with_a_wrong_postal_code_is_a_neutral_failure(env):
    asked = make_tracker(slots={"requested_slot": "postal_check",
                                "lookup_email": "priya.patel@example.com"},
                         text="99999", active_loop="order_lookup_form")
    texts, _, events = run(FORM, form_turn(asked, postal_check="99999"))
    slots = slots_of(events)
    assert texts[0].startswith("Sorry, I couldn't find an order matching those details.")
    assert slots["verification_failures"] == 1 and slots["lookup_email"] is None
    assert "verified_email" not in slots


def test_a_new_question_sets_the_topic_and_is_acknowledged_once(env):
    asked = make_tracker(intent="delivery_eta", text="when will my parcel come",
                         active_loop="order_lookup_form")
    texts, _, events = run(FORM, asked)
    assert texts == ["Happy to check when it will arrive."]
    assert slots_of(events)["topic"] == "delivery_eta"
    # Rasa validates twice when a form starts: the second call says nothing again.
    again = make_tracker(intent="delivery_eta", text="when will my parcel come",
                         active_loop="order_lookup_form")
    again.events.extend(events)
    texts, _, _ = run(FORM, again)
    assert texts == []


def test_a_verified_customer_gets_no_acknowledgement_just_the_answer(env):
    asked = make_tracker(slots=VERIFIED, intent="tracking_link", text="tracking link pls",
                         active_loop="order_lookup_form")
    texts, _, events = run(FORM, asked)
    assert texts == []
    slots = slots_of(events)
    assert slots["topic"] == "tracking_link" and slots["requested_slot"] is None


# --- identity from the channel: the sender's phone, a customer seen before -----------------

AVA_PHONE = "+13035550142"  # the phone on #1001 in the sandbox


def test_whatsapp_sender_with_the_orders_phone_needs_no_other_proof(env):
    asked = make_tracker(slots={"requested_slot": "order_number"}, text="1001",
                         active_loop="order_lookup_form", channel="whatsapp",
                         sender=f"whatsapp:{AVA_PHONE}", metadata={"phone": AVA_PHONE})
    texts, _, events = run(FORM, form_turn(asked, order_number="1001"))
    slots = slots_of(events)
    assert slots["verified_order"] == "1001"
    assert slots["requested_slot"] is None  # answered without asking for email or postcode
    contact = env.contacts.identity(f"whatsapp:{AVA_PHONE}")
    assert (contact.email, contact.phone, contact.order_number) == (
        "ava.thompson@example.com", AVA_PHONE, "1001")


def test_a_phone_in_web_or_rest_metadata_is_not_trusted(env):
    asked = make_tracker(slots={"requested_slot": "order_number"}, text="1001",
                         active_loop="order_lookup_form", channel="rest",
                         metadata={"phone": AVA_PHONE})
    _, _, events = run(FORM, form_turn(asked, order_number="1001"))
    slots = slots_of(events)
    assert "verified_order" not in slots
    assert slots["requested_slot"] == "proof"


def test_sms_from_another_phone_asks_for_proof_without_counting_a_failure(env):
    asked = make_tracker(slots={"requested_slot": "order_number"}, text="1001",
                         active_loop="order_lookup_form", channel="sms",
                         sender="sms:+15550000000", metadata={"phone": "+15550000000"})
    texts, _, events = run(FORM, form_turn(asked, order_number="1001"))
    slots = slots_of(events)
    assert "verified_order" not in slots and "verification_failures" not in slots
    assert slots["requested_slot"] == "proof"
    assert not any("couldn't find" in t for t in texts)


def test_a_customer_verified_before_on_this_channel_is_remembered(env):
    env.contacts.verified("telegram:42", "telegram", "ava.thompson@example.com", "1001")
    asked = make_tracker(text="where is 1031", intent="order_status", channel="telegram",
                         sender="telegram:42", active_loop="order_lookup_form")
    _, _, events = run(FORM, form_turn(asked, order_number="1031"))
    slots = slots_of(events)
    assert slots["verified_email"] == "ava.thompson@example.com"
    assert slots["verified_order"] == "1031"  # another of Ava's orders: no proof asked


def test_a_remembered_customer_still_proves_someone_elses_order(env):
    env.contacts.verified("telegram:42", "telegram", "ava.thompson@example.com", "1001")
    asked = make_tracker(text="where is 1002", intent="order_status", channel="telegram",
                         sender="telegram:42", active_loop="order_lookup_form")
    _, _, events = run(FORM, form_turn(asked, order_number="1002"))
    slots = slots_of(events)
    assert "verified_order" not in slots
    assert slots["requested_slot"] == "proof"


def test_verifying_by_email_records_the_conversation_for_later(env):
    asked = make_tracker(slots={"requested_slot": "proof", "order_number": "1001"},
                         text="80202", active_loop="order_lookup_form", channel="telegram",
                         sender="telegram:7")
    run(FORM, form_turn(asked, proof="80202"))
    contact = env.contacts.identity("telegram:7")
    assert (contact.channel, contact.email) == ("telegram", "ava.thompson@example.com")
