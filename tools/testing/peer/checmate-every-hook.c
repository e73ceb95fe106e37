// SPDX-License-Identifier: GPL-2.0
/*
 * checmate-every-hook: put one program on every Checmate hook, or take them
 * all off, for running other test suites under Checmate.
 *
 *   checmate-every-hook allow     allow-all program (returns 0) on every
 *                                 hook, hooks in normal mode
 *   checmate-every-hook log-only  deny-all program (returns -EPERM) on
 *                                 every hook, hooks in log-only mode: every
 *                                 program runs and every denial is counted,
 *                                 none is enforced
 *   checmate-every-hook reset     no program on any hook, normal mode
 *
 * The hooks are 0 .. __CHECMATE_HOOK_MAX - 1 of the installed UAPI header,
 * so a hook added to Checmate is covered without a change here. Attached
 * programs stay attached after this process exits (the hook holds them).
 * Exit status 0 only if every hook ended up in the state asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include "../selftests/checmate/common.h"

static int check(unsigned int hook, __u32 want_mode, __u32 want_cnt)
{
	struct checmate_query q;
	__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];

	if (cm_query(hook, &q, ids, ARRAY_LEN(ids))) {
		fprintf(stderr, "hook %u: query: %s\n", hook, strerror(errno));
		return -1;
	}
	if (q.mode != want_mode || q.prog_cnt != want_cnt) {
		fprintf(stderr, "hook %u: mode %u with %u programs, want mode %u with %u\n",
			hook, q.mode, q.prog_cnt, want_mode, want_cnt);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc == 2 ? argv[1] : "";
	int allow = !strcmp(what, "allow"), log_only = !strcmp(what, "log-only");
	__u32 mode = log_only ? CHECMATE_MODE_LOG_ONLY : CHECMATE_MODE_NORMAL;
	unsigned int hook;
	int bad = 0;

	if (!allow && !log_only && strcmp(what, "reset")) {
		fprintf(stderr, "usage: %s allow|log-only|reset\n", argv[0]);
		return 2;
	}
	for (hook = CHECMATE_HOOK_UNSPEC + 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		int fd;

		/* Empty the hook first, then set the mode, then attach: a
		 * deny-all program is never attached to an enforcing hook.
		 */
		if (checmate(CHECMATE_OP_RESET, hook, 0, 0) ||
		    checmate(CHECMATE_OP_SET_MODE, hook, mode, 0)) {
			fprintf(stderr, "hook %u: reset/mode: %s\n", hook, strerror(errno));
			bad = 1;
			continue;
		}
		if (allow || log_only) {
			fd = load_ret(hook, allow ? 0 : -EPERM);
			if (fd < 0 || cm_attach(hook, fd)) {
				fprintf(stderr, "hook %u: load/attach: %s\n%s", hook,
					strerror(errno), verifier_log);
				bad = 1;
				continue;
			}
			close(fd);
		}
		if (check(hook, mode, allow || log_only))
			bad = 1;
	}
	printf("# checmate-every-hook %s: %u hooks%s\n", what, hook - 1,
	       bad ? ", with errors" : "");
	return bad;
}
