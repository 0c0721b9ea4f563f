"""Beyond AutoGen: live events, per-block results, cancellation from another thread, Ctrl-C, the
GIL released while code runs, exceptions in callbacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

import codeexec
from codeexec import CodeBlock, LocalCommandLineCodeExecutor

SLEEP = CodeBlock(code="import time\nprint('started', flush=True)\ntime.sleep(60)",
                  language="python")


def test_events_arrive_in_order_and_add_up_to_the_output(local):
    events = []
    result = local.execute_code_blocks(
        [CodeBlock(code="import sys\nprint('a')\nprint('b', file=sys.stderr)", language="python"),
         CodeBlock(code="echo c", language="sh")],
        on_output=events.append)
    kinds = [(e.type, e.block) for e in events]
    assert kinds[0] == ("block_start", 0) and kinds[-1] == ("block_end", 1)
    assert ("block_end", 0) in kinds and ("block_start", 1) in kinds
    text = "".join(e.text for e in events if e.type in ("stdout", "stderr", "note"))
    assert text == result.output == "a\nb\nc\n"
    assert "".join(e.text for e in events if e.type == "stderr") == result.stderr == "b\n"
    starts = [e for e in events if e.type == "block_start"]
    assert starts[0].language == "python" and starts[0].code_file == result.blocks[0].code_file


def test_constructor_callback_applies_to_every_call(work_dir):
    seen = []
    with LocalCommandLineCodeExecutor(work_dir=work_dir, on_output=seen.append) as executor:
        executor.execute_code_blocks([CodeBlock(code="echo 1", language="sh")])
        executor.execute_code_blocks([CodeBlock(code="echo 2", language="sh")])
    assert "".join(e.text for e in seen if e.type == "stdout") == "1\n2\n"


def test_stream_yields_events_then_the_result(local):
    items = list(local.stream([CodeBlock(code="echo streamed", language="sh")]))
    result = items[-1]
    assert isinstance(result, codeexec.CommandLineCodeResult) and result.output == "streamed\n"
    assert [e.type for e in items[:-1]][0] == "block_start"


def test_per_block_results(local):
    result = local.execute_code_blocks([CodeBlock(code="echo one", language="sh"),
                                        CodeBlock(code="echo two >&2; exit 4", language="bash")])
    first, second = result.blocks
    assert (first.language, first.exit_code, first.status, first.output) == ("sh", 0, "ok", "one\n")
    assert (second.exit_code, second.status, second.stderr) == (4, "error", "two\n")
    assert result.exit_code == 4 and result.status == "error"


def _run_and_cancel(executor, cancel):
    started = threading.Event()
    outcome = {}

    def on_output(event):
        if event.type == "stdout" and "started" in event.text:
            started.set()

    def run():
        outcome["result"] = executor.execute_code_blocks([SLEEP], on_output=on_output)

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(30)
    cancel()
    worker.join(30)
    assert not worker.is_alive()
    return outcome["result"]


def test_cancel_from_another_thread_kills_the_block(local):
    result = _run_and_cancel(local, local.cancel)
    assert (result.exit_code, result.status) == (125, "cancelled")
    assert result.output.startswith("started\n") and result.output.endswith("\nCancelled")


def test_cancellation_token_stops_one_call(local):
    token = codeexec.CancellationToken()
    started = threading.Event()
    outcome = {}

    def run():
        outcome["result"] = local.execute_code_blocks(
            [SLEEP], cancellation_token=token,
            on_output=lambda e: started.set() if e.type == "stdout" else None)

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(30)
    token.cancel()
    worker.join(30)
    assert outcome["result"].status == "cancelled"


def test_stop_from_another_thread_cancels_and_stops(work_dir):
    executor = LocalCommandLineCodeExecutor(work_dir=work_dir)
    result = _run_and_cancel(executor, executor.stop)
    assert result.status == "cancelled"
    with pytest.raises(codeexec.FailedPreconditionError):
        executor.execute_code_blocks([CodeBlock(code="echo late", language="sh")])


def test_other_python_threads_run_while_code_runs(local):
    counter = {"n": 0, "at_start": None, "at_end": None}
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter["n"] += 1

    def on_output(event):
        if event.type == "block_start":
            counter["at_start"] = counter["n"]
        elif event.type == "block_end":
            counter["at_end"] = counter["n"]

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        local.execute_code_blocks([CodeBlock(code="import time; time.sleep(0.5)",
                                             language="python")], on_output=on_output)
    finally:
        stop.set()
        spinner.join()
    assert counter["at_end"] > counter["at_start"]


def test_calls_from_several_threads(local):
    results = [None] * 4

    def run(i):
        results[i] = local.execute_code_blocks([CodeBlock(code=f"echo {i}", language="sh")])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.output for r in results] == ["0\n", "1\n", "2\n", "3\n"]


def test_a_callback_that_raises_cancels_and_raises(local):
    def on_output(event):
        if event.type == "stdout":
            raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        local.execute_code_blocks([SLEEP], on_output=on_output)


def test_ctrl_c_cancels_the_block_and_kills_its_processes(tmp_path):
    # A child interpreter runs a block on its main thread; SIGINT must raise KeyboardInterrupt
    # there once the block's processes are gone.
    script = tmp_path / "interrupted.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        import codeexec
        executor = codeexec.LocalCommandLineCodeExecutor(work_dir={str(tmp_path)!r})
        block = codeexec.CodeBlock(language="sh",
                                   code="echo $$ > pid; echo started; sleep 60")
        def on_output(event):
            if event.type == "stdout":
                print("READY", flush=True)
        try:
            executor.execute_code_blocks([block], on_output=on_output)
            print("NOT INTERRUPTED", flush=True)
        except KeyboardInterrupt:
            pid = int(open({str(tmp_path / "pid")!r}).read())
            try:
                os.kill(pid, 0)
                print("STILL RUNNING", flush=True)
            except ProcessLookupError:
                print("INTERRUPTED AND KILLED", flush=True)
    """))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ))
    assert child.stdout.readline().strip() == "READY"
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=30)
    assert out.strip() == "INTERRUPTED AND KILLED"
