#!/usr/bin/env bash
# Parse every Checmate rst page with docutils, failing on any warning
# (a stand-in for the kernel's Sphinx build of just these pages).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# A python3 with docutils: the first on PATH, else Debian's (python3-docutils).
py=python3
python3 -c 'import docutils' 2>/dev/null || py=/usr/bin/python3
rc=0
while IFS= read -r f; do
	if ! out=$(cd "$(dirname "$f")" && "$py" - "$f" 2>&1 <<'PY'
import sys, docutils.core
from docutils.parsers.rst import directives
from docutils.parsers.rst.directives.body import CodeBlock
directives.register_directive("code-block", CodeBlock)
path = sys.argv[1]
docutils.core.publish_string(open(path).read(), writer_name="null", source_path=path,
                             settings_overrides={"halt_level": 2, "report_level": 2})
PY
	); then
		echo "$out" | grep -E '^[^ ].*\((WARNING|ERROR|SEVERE)' || echo "$out" | tail -3
		rc=1
	fi
done < <(find "$top/Documentation" -name '*.rst')
exit $rc
