"""Cancellation: Ctrl-C (SIGINT) in Python and `interrupt()` from another
thread stop a running query; the GIL is free while a query runs."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import quiver

SLOW = "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3"


def test_interrupt_from_another_thread(con):
    timer = threading.Timer(0.5, con.interrupt)
    timer.start()
    started = time.monotonic()
    try:
        con.sql(SLOW).fetchall()
        raise AssertionError("the query was not interrupted")
    except quiver.InterruptException:
        pass
    assert time.monotonic() - started < 10
    # The connection goes on working.
    assert con.sql("SELECT 1").fetchall() == [(1,)]


def test_other_threads_run_while_a_query_runs(con):
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    worker = threading.Thread(target=tick)
    worker.start()
    con.sql("SELECT sum(range) FROM range(30000000)").fetchall()
    stop.set()
    worker.join()
    assert len(ticks) > 3


def test_ctrl_c_raises_keyboard_interrupt():
    script = textwrap.dedent(
        f"""
        import sys, time, quiver
        con = quiver.connect()
        print("ready", flush=True)
        try:
            con.sql({SLOW!r}).fetchall()
        except KeyboardInterrupt:
            print(con.sql("SELECT 'still working'").fetchall(), flush=True)
            sys.exit(3)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    started = time.monotonic()
    os.kill(process.pid, signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 3
    assert "still working" in out
    assert time.monotonic() - started < 10
