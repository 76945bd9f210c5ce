import subprocess
import sys


def test_the_bot_can_import_the_pool_without_loading_torch():
    check = "import sys, engine.pool; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0


def test_the_bot_process_never_loads_torch():
    """The bot checks uploads with engine.images and runs the pool, but tensors stay in workers."""
    check = (
        "import sys, bot.__main__, bot.client, bot.limits, engine.images; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0
