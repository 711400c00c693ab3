"""The demo workflow: which reports `make demo` renders."""

from msp_analysis.workflows.demo import demo_requests


def test_the_demo_is_one_evaluation_nine_regions_and_every_council():
    requests = demo_requests("2023-24", "data/processed/demo", None)
    kinds = [name for name, _ in requests]
    assert kinds.count("evaluation") == 1 and kinds.count("temperature_check") == 9 and kinds.count("locality") == 153
    assert requests[0][1].scope == "England" and requests[0][1].real_data_dir == ""
