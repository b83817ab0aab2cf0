import os
import subprocess
import sys


def test_known_native_lines_are_dropped_and_others_kept():
    code = ("import os\nfrom merbench.util.native import drop_native_lines\n"
            "with drop_native_lines(['INFO: Created']):\n"
            "    os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
            "    os.write(2, b'error: something real\\n')\n"
            "os.write(2, b'after\\n')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "error: something real\nafter\n"
