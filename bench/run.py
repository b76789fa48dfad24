"""`make bench`: run every bench/*_bench.py and collect their sections in docs/benchmarks.md.

Each benchmark script takes `--output FILE` and replaces its own "## …" section of that file,
leaving the others alone. This script writes the header: the machine and the command.
"""

import argparse
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or "?"
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {cores} cores, {memory} RAM, Python {platform.python_version()}"


HEADER = """# Benchmarks

Measured with `make bench` (which runs `python bench/run.py --output docs/benchmarks.md`).
Each section below is written by its own script in `bench/` and can be re-run alone.

- Machine: {machine}
- Last run: {when}
"""


def write_header(path: Path) -> None:
    text = path.read_text() if path.exists() else ""
    sections = text[text.index("\n## "):] if "\n## " in text else ""
    path.write_text(HEADER.format(machine=machine(), when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")) + sections)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("only", nargs="*", help="names of benchmarks to run (default: all)")
    args = parser.parse_args()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_header(output)
    scripts = sorted((ROOT / "bench").glob("*_bench.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removesuffix("_bench") in args.only]
    failed = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script), "--output", str(output)], cwd=ROOT)
        failed += result.returncode != 0
    print(f"results in {output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
