from wismo.cases import CaseStore


def test_a_case_is_written_once_per_conversation_and_reason(tmp_path):
    store = CaseStore(tmp_path / "wismo.db")
    first = store.open("conv-1", "package_missing", "1042", "rest")
    again = store.open("conv-1", "package_missing", "1042", "rest")
    other = store.open("conv-1", "customer_asked")
    assert again.id == first.id
    assert other.id != first.id
    assert [(c.reason, c.order_number) for c in store.for_conversation("conv-1")] == [
        ("package_missing", "1042"), ("customer_asked", None)]


def test_cases_survive_a_restart(tmp_path):
    CaseStore(tmp_path / "wismo.db").open("conv-2", "damaged_or_wrong_item", "1050")
    reopened = CaseStore(tmp_path / "wismo.db")
    assert [c.order_number for c in reopened.for_conversation("conv-2")] == ["1050"]
