/*
 * A Promela model of one Checmate hook: the prctl operations (attach,
 * detach, replace, reset, deny_reset with and without freezing maps,
 * set_mode, set_audit), program references, and the RCU publication of the
 * array the hot path runs. tools/model/check.sh runs spin on it.
 *
 * The transition table is not written here: it comes from
 * tools/testing/selftests/checmate/hook_model.h, the header the prctl
 * fuzzer predicts the kernel with. Every operation the model makes is also
 * done by the fuzzer's cm_step() (embedded C below), and the two must agree
 * on the errno and the new state.
 *
 * What is checked:
 * - lock_never_loosens (LTL): once locked, a hook stays locked, its frozen
 *   maps stay frozen, its enforcement rank (DISABLED < LOG_ONLY < NORMAL <
 *   APPEND_ONLY < READ_ONLY, spelt out below, not taken from the table)
 *   never drops, and no attached program leaves it; READ_ONLY and
 *   APPEND_ONLY stick, locked or not.
 * - assertions: a refused operation leaves mode, lock, audit, frozen maps,
 *   the program list and the published array as they were; a successful one
 *   changes exactly what it names; a locked DISABLED or LOG_ONLY hook can be
 *   set to NORMAL; a replace is refused (EPERM) exactly where a detach is,
 *   and leaves a list of the same length, the old program gone and the new
 *   one at its index; a replace publishes one array, which runs the new
 *   program and not the old one, so that no reader ever runs neither or
 *   both; the published array is the program list (or nothing, when
 *   DISABLED or empty) after every operation; references count exactly the
 *   list, the open fds and the arrays not yet freed; no program and no array
 *   is freed while the hook's list, a published array or a reader in an RCU
 *   read section can reach it.
 *
 * One hook: hooks share no state (each has its own mutex, list and
 * published array). Sizes are small, as a model checker needs: NPROGS
 * programs, a hook holding CM_MAX_PROGS of them (so E2BIG is reached),
 * NREADERS readers, NSLOTS arrays in memory at once.
 *
 * Mutations, to see the check fail: -DBUG_NO_GRACE frees a replaced array
 * without waiting for a grace period; -DBUG_REPLACE_SPLIT replaces a
 * program as a detach then an attach at the same index, publishing an
 * array in between.
 */
#define CM_PROMELA
#ifndef CM_MAX_PROGS
#define CM_MAX_PROGS	2
#endif
#include "../testing/selftests/checmate/hook_model.h"

/*
 * Two configurations of the same model. By default: the protocol, every
 * operation, no concurrent reader (a replaced array is freed at once), and
 * the LTL property. With -DRCU: readers and the grace period, on the
 * operations that change what readers see (attach, detach, reset, mode
 * NORMAL and DISABLED, fds closed and reopened), assertions only.
 */
#ifdef RCU
#define NPROGS		2
#define NREADERS	2
#else
#define NPROGS		3
#define NREADERS	0
#endif
#define NSLOTS		3

/* Linux errnos, as cm_step() returns them (negated). */
#define EPERM		1
#define ENOENT		2
#define E2BIG		7
#define EEXIST		17
#define EINVAL		22

/* The hook's writer state (under its mutex in the kernel). */
byte mode = CM_MODE_NORMAL;
bit locked;
bit audit;
bit frozen;
byte n;
byte list[CM_MAX_PROGS];	/* program numbers 1..NPROGS, unused entries 0 */
byte att;			/* the programs in list, one bit each */

/* Programs: an open fd of the loader holds a reference, as do the list and
 * every array not yet freed. A program whose count drops to 0 is freed. */
bit fd[NPROGS + 1] = 1;
byte ref[NPROGS + 1] = 1;
bit freed[NPROGS + 1];

/* Arrays: slot 0 is "nothing published". */
#define FREE		0
#define LIVE		1	/* published */
#define RETIRED		2	/* replaced, freed after a grace period */
byte pub;
byte slot_state[NSLOTS + 1];
byte slot_n[NSLOTS + 1];
byte slot_p[(NSLOTS + 1) * CM_MAX_PROGS];
byte pending[NSLOTS + 1];	/* readers the grace period waits for */
byte in_cs;			/* readers in an RCU read section */
#ifdef RCU
byte held[NREADERS];		/* the array each reader loaded */
#endif

/* One operation at a time (arg2: the old program of a replace); scratch
 * for it, reset before it ends. */
byte op, arg, arg2, err;
hidden byte pre_mode, pre_locked, pre_audit, pre_frozen, pre_n, pre_att, pre_pub;
hidden byte pre_list[CM_MAX_PROGS];
hidden byte x_i, x_j, x_s, x_p, x_n;
hidden byte agree;
hidden byte npub, x_old, x_new;	/* arrays a replace published, and in them */

c_decl {
	\#include "hook_model.h"
}

#define INLIST(q)	((att >> (q)) & 1)
#define BIT(q)		(1 << (q))

/* The spec's enforcement ranks, written out: at least DISABLED+1 ... */
#define AT_LEAST_LOG	(mode != CM_MODE_DISABLED)
#define AT_LEAST_NORMAL	(mode == CM_MODE_NORMAL || mode == CM_MODE_APPEND_ONLY || \
			 mode == CM_MODE_READ_ONLY)
#define AT_LEAST_APPEND	(mode == CM_MODE_APPEND_ONLY || mode == CM_MODE_READ_ONLY)
#define IS_READ_ONLY	(mode == CM_MODE_READ_ONLY)
#define KEEPS_PROGS	(locked || AT_LEAST_APPEND)

#ifndef RCU
ltl lock_never_loosens {
	[] (locked -> [] locked) &&
	[] (frozen -> [] frozen) &&
	[] ((locked && AT_LEAST_LOG) -> [] AT_LEAST_LOG) &&
	[] ((locked && AT_LEAST_NORMAL) -> [] AT_LEAST_NORMAL) &&
	[] (AT_LEAST_APPEND -> [] AT_LEAST_APPEND) &&
	[] (IS_READ_ONLY -> [] IS_READ_ONLY) &&
	[] ((KEEPS_PROGS && INLIST(1)) -> [] INLIST(1)) &&
	[] ((KEEPS_PROGS && INLIST(2)) -> [] INLIST(2)) &&
	[] ((KEEPS_PROGS && INLIST(3)) -> [] INLIST(3))
}
#endif

/* Drops a reference to program q; frees it at 0, if nothing reaches it. */
inline put(q)
{
	ref[q]--;
	if
	:: ref[q] == 0 ->
		assert(!INLIST(q));
		x_j = 1;
		do
		:: x_j <= NSLOTS ->
			x_n = 0;
			do
			:: x_n < slot_n[x_j] -> assert(slot_state[x_j] == FREE ||
						    slot_p[x_j * CM_MAX_PROGS + x_n] != q); x_n++
			:: else -> break
			od;
			x_j++
		:: else -> break
		od;
		freed[q] = 1
	:: else
	fi
}

/* Frees retired array t and drops its references. */
inline free_slot(t)
{
	slot_state[t] = FREE;
	do
	:: slot_n[t] > 0 ->
		slot_n[t]--;
		x_p = slot_p[t * CM_MAX_PROGS + slot_n[t]];
		slot_p[t * CM_MAX_PROGS + slot_n[t]] = 0;
		put(x_p)
	:: else -> break
	od
}

/* Publishes the list as a new array (nothing if DISABLED or empty); the old
 * one is retired, to be freed once the readers in a section now have left. */
inline publish()
{
	x_s = 0;
	if
	:: mode != CM_MODE_DISABLED && n > 0 ->
		x_s = 1;
		do
		:: slot_state[x_s] == FREE -> break
		:: else -> x_s++
		od;
		slot_n[x_s] = n;
		x_j = 0;
		do
		:: x_j < n -> slot_p[x_s * CM_MAX_PROGS + x_j] = list[x_j]; ref[list[x_j]]++; x_j++
		:: else -> break
		od;
		slot_state[x_s] = LIVE
	:: else
	fi;
	/* Readers may load any array published. One replace publishes one,
	 * running the new program where the old one ran (nothing if DISABLED):
	 * never neither, never both. */
	if
	:: op == CM_OP_REPLACE ->
		npub++;
		x_old = 0; x_new = 0; x_j = 0;
		do
		:: x_s != 0 && x_j < slot_n[x_s] ->
			x_old = x_old + (slot_p[x_s * CM_MAX_PROGS + x_j] == arg2);
			x_new = x_new + (slot_p[x_s * CM_MAX_PROGS + x_j] == arg);
			x_j++
		:: else -> break
		od;
		assert(npub == 1 && (x_s != 0 || mode == CM_MODE_DISABLED));
		assert(x_s == 0 || (x_old == 0 && x_new == 1));
		x_old = 0; x_new = 0
	:: else
	fi;
	if
	:: pub != 0 ->
		slot_state[pub] = RETIRED;
#ifndef RCU
		free_slot(pub)		/* no reader to wait for */
#elif defined(BUG_NO_GRACE)
		pending[pub] = 0
#else
		pending[pub] = in_cs
#endif
	:: else
	fi;
	pub = x_s
}

/* The operation op(arg), as the model's own Promela; sets err. */
inline model_step()
{
	err = 0;
	if
	:: op == CM_OP_ATTACH ->
		if
		:: !CM_MAY(ATTACH, mode, locked) -> err = EPERM
		:: else -> if
			:: INLIST(arg) -> err = EEXIST
			:: else -> if
				:: n >= CM_MAX_PROGS -> err = E2BIG
				:: else ->
					list[n] = arg; n++; att = att | BIT(arg);
					ref[arg]++; publish()
				fi
			fi
		fi
	:: op == CM_OP_DETACH ->
		if
		:: !CM_MAY(DETACH, mode, locked) -> err = EPERM
		:: else -> if
			:: !INLIST(arg) -> err = ENOENT
			:: else ->
				x_j = 0;
				do
				:: list[x_j] == arg -> break
				:: else -> x_j++
				od;
				do
				:: x_j + 1 < n -> list[x_j] = list[x_j + 1]; x_j++
				:: else -> break
				od;
				n--; list[n] = 0; att = att & ~BIT(arg);
				publish(); put(arg)
			fi
		fi
	:: op == CM_OP_REPLACE ->
		if
		:: !CM_MAY(REPLACE, mode, locked) -> err = EPERM
		:: else -> if
			:: INLIST(arg) -> err = EEXIST
			:: else -> if
				:: !INLIST(arg2) -> err = ENOENT
				:: else ->
					x_i = 0;
					do
					:: list[x_i] == arg2 -> break
					:: else -> x_i++
					od;
					ref[arg]++;
#ifdef BUG_REPLACE_SPLIT
					/* detach: out of the list, published */
					x_j = x_i;
					do
					:: x_j + 1 < n -> list[x_j] = list[x_j + 1]; x_j++
					:: else -> break
					od;
					n--; list[n] = 0; att = att & ~BIT(arg2);
					publish();
					/* attach back at the same index, published */
					x_j = n;
					do
					:: x_j > x_i -> list[x_j] = list[x_j - 1]; x_j--
					:: else -> break
					od;
					list[x_i] = arg; n++; att = att | BIT(arg);
					publish();
#else
					list[x_i] = arg;
					att = (att & ~BIT(arg2)) | BIT(arg);
					publish();
#endif
					put(arg2);
					x_i = 0
				fi
			fi
		fi
	:: op == CM_OP_RESET ->
		if
		:: !CM_MAY(RESET, mode, locked) -> err = EPERM
		:: else ->
			do
			:: n > 0 -> n--; list[n] = 0
			:: else -> break
			od;
			att = 0;
			publish();
			x_i = 0;
			do
			:: x_i < pre_n -> put(pre_list[x_i]); x_i++
			:: else -> break
			od;
			x_i = 0
		fi
	:: op == CM_OP_DENY_RESET ->
		if
		:: arg & ~CM_LOCK_FLAGS -> err = EINVAL
		:: else -> if
			:: !CM_MAY(DENY_RESET, mode, locked) -> err = EPERM
			:: else ->
				locked = 1;
				if
				:: arg & CM_LOCK_F_FREEZE_MAPS -> frozen = 1
				:: else
				fi
			fi
		fi
	:: op == CM_OP_SET_MODE ->
		if
		:: arg >= CM_NMODES -> err = EINVAL
		:: else -> if
			:: !CM_MAY_BECOME(mode, arg, locked) -> err = EPERM
			:: else -> mode = arg; publish()
			fi
		fi
	:: op == CM_OP_SET_AUDIT ->
		if
		:: arg > 1 -> err = EINVAL
		:: else -> if
			:: !CM_MAY(SET_AUDIT, mode, locked) -> err = EPERM
			:: else -> audit = arg; publish()
			fi
		fi
	fi
}

/* The fuzzer's model, cm_step(), on the state before: does it agree? */
inline fuzzer_agrees()
{
	c_code {
		struct cm_hook h = {
			.mode = pre_mode, .locked = pre_locked, .audit = pre_audit,
			.maps_frozen = pre_frozen, .n = pre_n,
		};
		int e, k, same;

		for (k = 0; k < pre_n; k++)
			h.ids[k] = pre_list[k];
		e = -cm_step(&h, now.op, now.arg, now.arg2);
		same = e == now.err && h.mode == now.mode && h.locked == now.locked &&
		       h.audit == now.audit && h.maps_frozen == now.frozen && h.n == now.n;
		for (k = 0; same && k < h.n; k++)
			same = h.ids[k] == now.list[k];
		/* Both sides built with the same hook size (-DCM_MAX_PROGS). */
		if (sizeof(h.ids) / sizeof(h.ids[0]) != CM_MAX_PROGS) {
			printf("cm_step built with another CM_MAX_PROGS\n");
			same = 0;
		}
		agree = same;
		if (!same)
			printf("cm_step(op %d, arg %d, %d) from mode %d locked %d audit %d "
			       "frozen %d n %d: model %d, mode %d locked %d audit %d "
			       "frozen %d n %d; cm_step %d, mode %d locked %d audit %d "
			       "frozen %d n %d\n", now.op, now.arg, now.arg2, pre_mode,
			       pre_locked, pre_audit, pre_frozen, pre_n, now.err,
			       now.mode, now.locked, now.audit, now.frozen, now.n,
			       e, h.mode, h.locked, h.audit, h.maps_frozen, h.n);
	};
	assert(agree)
}

/* What the spec says of every operation, whatever the table. */
inline check_step()
{
	if
	:: err != 0 ->
		assert(mode == pre_mode && locked == pre_locked && audit == pre_audit &&
		       frozen == pre_frozen && n == pre_n && att == pre_att && pub == pre_pub);
		x_j = 0;
		do
		:: x_j < CM_MAX_PROGS -> assert(list[x_j] == pre_list[x_j]); x_j++
		:: else -> break
		od
	:: else ->
		assert(locked == (pre_locked || op == CM_OP_DENY_RESET));
		assert(frozen == (pre_frozen || (op == CM_OP_DENY_RESET && arg)));
		assert(mode == pre_mode || op == CM_OP_SET_MODE);
		assert(audit == pre_audit || op == CM_OP_SET_AUDIT);
		assert(att == pre_att ||
		       (op == CM_OP_ATTACH && att == (pre_att | BIT(arg)) && n == pre_n + 1 &&
			list[pre_n] == arg) ||
		       (op == CM_OP_DETACH && att == (pre_att & ~BIT(arg)) && n + 1 == pre_n) ||
		       (op == CM_OP_REPLACE && att == ((pre_att & ~BIT(arg2)) | BIT(arg))) ||
		       (op == CM_OP_RESET && n == 0));
		/* A replace: same length, the new program where the old one was,
		 * every other one in its place; published once. */
		if
		:: op == CM_OP_REPLACE ->
			assert(arg != arg2 && n == pre_n && npub == 1);
			x_j = 0;
			do
			:: x_j < CM_MAX_PROGS ->
				assert(list[x_j] == pre_list[x_j] ||
				       (pre_list[x_j] == arg2 && list[x_j] == arg));
				x_j++
			:: else -> break
			od
		:: else
		fi
	fi;
	/* Replacing is refused where detaching is: locked, APPEND_ONLY, READ_ONLY. */
	assert(op != CM_OP_REPLACE ||
	       (err == EPERM) == (pre_locked || pre_mode == CM_MODE_APPEND_ONLY ||
				  pre_mode == CM_MODE_READ_ONLY));
	/* Switching enforcement on is always possible, locked or not. */
	assert(!(op == CM_OP_SET_MODE && arg == CM_MODE_NORMAL &&
		 (pre_mode == CM_MODE_DISABLED || pre_mode == CM_MODE_LOG_ONLY)) || err == 0);
	/* A locked hook still takes programs, unless read-only. */
	assert(!(op == CM_OP_ATTACH && err == EPERM) || mode == CM_MODE_READ_ONLY)
}

/* The published array is the list; references are exact. */
inline check_state()
{
	if
	:: mode != CM_MODE_DISABLED && n > 0 ->
		assert(pub != 0 && slot_state[pub] == LIVE && slot_n[pub] == n);
		x_j = 0;
		do
		:: x_j < n -> assert(slot_p[pub * CM_MAX_PROGS + x_j] == list[x_j]); x_j++
		:: else -> break
		od
	:: else -> assert(pub == 0)
	fi;
	x_p = 1;
	do
	:: x_p <= NPROGS ->
		x_n = fd[x_p] + INLIST(x_p);
		x_j = 1;
		do
		:: x_j <= NSLOTS ->
			x_i = 0;
			do
			:: x_i < slot_n[x_j] -> x_n = x_n + (slot_p[x_j * CM_MAX_PROGS + x_i] == x_p); x_i++
			:: else -> break
			od;
			x_j++
		:: else -> break
		od;
		assert(x_n == ref[x_p] && freed[x_p] == (ref[x_p] == 0));
		x_p++
	:: else -> break
	od;
	x_i = 0; x_j = 0; x_p = 0; x_n = 0
}

/* Operation op(arg), in one step. */
inline do_op()
{
	d_step {
		pre_mode = mode; pre_locked = locked; pre_audit = audit; pre_frozen = frozen;
		pre_n = n; pre_att = att; pre_pub = pub;
		x_j = 0;
		do
		:: x_j < CM_MAX_PROGS -> pre_list[x_j] = list[x_j]; x_j++
		:: else -> break
		od;
		model_step();
		fuzzer_agrees();
		check_step();
		check_state();
		op = 0; arg = 0; arg2 = 0; err = 0; x_s = 0; npub = 0
	}
}

/* A free slot for the array an operation may publish. */
#define ROOM	(slot_state[1] == FREE || slot_state[2] == FREE || slot_state[3] == FREE)

/* Root, with the hook's mutex: every operation, in any order. */
active proctype writer()
{
	do
	:: atomic {
		ROOM ->
		if
		:: fd[1] -> op = CM_OP_ATTACH; arg = 1
		:: fd[2] -> op = CM_OP_ATTACH; arg = 2
		:: fd[1] -> op = CM_OP_DETACH; arg = 1
		:: fd[2] -> op = CM_OP_DETACH; arg = 2
		:: fd[1] && fd[2] -> op = CM_OP_REPLACE; arg = 1; arg2 = 2
		:: fd[2] && fd[1] -> op = CM_OP_REPLACE; arg = 2; arg2 = 1
		:: op = CM_OP_RESET; arg = 0
		:: op = CM_OP_SET_MODE; arg = CM_MODE_NORMAL
		:: op = CM_OP_SET_MODE; arg = CM_MODE_DISABLED
#ifndef RCU
		:: fd[3] -> op = CM_OP_ATTACH; arg = 3
		:: fd[3] -> op = CM_OP_DETACH; arg = 3
		:: fd[1] && fd[3] -> op = CM_OP_REPLACE; arg = 1; arg2 = 3
		:: fd[3] && fd[1] -> op = CM_OP_REPLACE; arg = 3; arg2 = 1
		:: fd[2] && fd[3] -> op = CM_OP_REPLACE; arg = 2; arg2 = 3
		:: fd[3] && fd[2] -> op = CM_OP_REPLACE; arg = 3; arg2 = 2
		:: fd[1] -> op = CM_OP_REPLACE; arg = 1; arg2 = 1
		:: op = CM_OP_DENY_RESET; arg = 0
		:: op = CM_OP_DENY_RESET; arg = CM_LOCK_F_FREEZE_MAPS
		:: op = CM_OP_DENY_RESET; arg = 2
		:: op = CM_OP_SET_MODE; arg = CM_MODE_APPEND_ONLY
		:: op = CM_OP_SET_MODE; arg = CM_MODE_READ_ONLY
		:: op = CM_OP_SET_MODE; arg = CM_MODE_LOG_ONLY
		:: op = CM_OP_SET_MODE; arg = CM_NMODES
		:: op = CM_OP_SET_AUDIT; arg = 0
		:: op = CM_OP_SET_AUDIT; arg = 1
		:: op = CM_OP_SET_AUDIT; arg = 2
#endif
		fi;
		do_op()
	}
	/* The loader closes a program's fd, or gets one again by id. */
	:: d_step { fd[1] -> fd[1] = 0; put(1); check_state() }
	:: d_step { fd[2] -> fd[2] = 0; put(2); check_state() }
	:: d_step { !fd[1] && !freed[1] -> fd[1] = 1; ref[1]++ }
	:: d_step { !fd[2] && !freed[2] -> fd[2] = 1; ref[2]++ }
#ifndef RCU
	:: d_step { fd[3] -> fd[3] = 0; put(3); check_state() }
	:: d_step { !fd[3] && !freed[3] -> fd[3] = 1; ref[3]++ }
#endif
	od
}

#ifdef RCU
/* The hot path: rcu_read_lock, load the published array, run its programs. */
active [NREADERS] proctype reader()
{
	byte me = _pid - 1;

	do
	:: in_cs = in_cs | BIT(me);
		held[me] = pub;
		d_step {
			if
			:: held[me] != 0 ->
				assert(slot_state[held[me]] != FREE);
				x_i = 0;
				do
				:: x_i < slot_n[held[me]] ->
					assert(!freed[slot_p[held[me] * CM_MAX_PROGS + x_i]]); x_i++
				:: else -> break
				od;
				x_i = 0
			:: else
			fi
		};
		/* rcu_read_unlock: a quiescent state for every waiting array */
		d_step {
			held[me] = 0;
			in_cs = in_cs & ~BIT(me);
			x_j = 1;
			do
			:: x_j <= NSLOTS -> pending[x_j] = pending[x_j] & ~BIT(me); x_j++
			:: else -> break
			od;
			x_j = 0
		}
	od
}

/* queue_rcu_work: frees a retired array after its grace period. */
inline reclaim(t)
{
	d_step {
		slot_state[t] == RETIRED && pending[t] == 0 ->
		x_j = 0;
		do
		:: x_j < NREADERS -> assert(held[x_j] != t); x_j++
		:: else -> break
		od;
		free_slot(t);
		check_state()
	}
}

active proctype reclaimer()
{
	do
	:: reclaim(1)
	:: reclaim(2)
	:: reclaim(3)
	od
}
#endif
