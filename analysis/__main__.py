# Stop handlers first, so Ctrl-C or SIGTERM during the imports ends in one line too.
from analysis.processes import install_stop_handlers

install_stop_handlers()

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from analysis.cli import main  # noqa: E402

status = main()
# The command is done (or stopped, its finally blocks run): a signal from now on would only interrupt
# the interpreter's shutdown (with a traceback, or death by the default action and no line), so it is
# ignored, and the shutdown is skipped: atexit hooks that join threads or pool workers could outlast
# the 2 s a stop may take. Every file the command wrote is closed; the streams are flushed here.
for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(signum, signal.SIG_IGN)
for stream in (sys.stdout, sys.stderr):
    try:
        stream.flush()
    except (OSError, ValueError):
        pass
os._exit(status)
