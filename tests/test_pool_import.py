import subprocess
import sys


def test_the_bot_can_import_the_pool_without_loading_torch():
    check = "import sys, engine.pool; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0
