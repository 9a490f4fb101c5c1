"""`parallax alerts test` on the demo data prints the digest it would send, in both languages,
and sends and records nothing."""

from index.store import Store
from tests.conftest import run_cli


def test_alerts_test_prints_the_digest_on_the_demo_data(demo_data, tmp_path):
    settings, _ = demo_data
    import shutil

    data = tmp_path / "data"  # a copy: the session's demo store stays untouched
    shutil.copytree(settings.data_dir, data)
    base = ["--data-dir", str(data)]
    added = run_cli(*base, "alerts", "add", "working-group", "--query", "export controls",
                    "--to", "analyst@example.org")
    assert added.returncode == 0, added.stderr
    shown = run_cli(*base, "alerts", "test", "working-group")
    assert shown.returncode == 0, shown.stderr
    assert "working-group" in shown.stdout
    assert "出口管制" in shown.stdout and "export controls" in shown.stdout.lower()
    from tests.conftest import make_settings

    with Store.open(make_settings(data)) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM alert_deliveries").fetchone()[0] == 0
