// SPDX-License-Identifier: GPL-2.0
/*
 * Wrappers of static inline functions and macros used by Checmate's Rust code
 * (security/checmate/). Each one only forwards its arguments.
 */

#include <linux/bpf.h>
#include <linux/bpf-cgroup.h>
#include <linux/btf.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/filter.h>
#include <linux/jump_label.h>
#include <linux/nsproxy.h>
#include <linux/percpu.h>
#include <linux/pid_namespace.h>
#include <linux/posix_acl.h>
#include <linux/fs_struct.h>
#include <linux/irq_work.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/af_unix.h>
#include <uapi/linux/checmate.h>
#include <net/net_namespace.h>

void rust_helper_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rust_helper_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

u32 rust_helper_bpf_prog_run(const struct bpf_prog *prog, const void *ctx)
{
	return bpf_prog_run(prog, ctx);
}

struct user_namespace *rust_helper_current_user_ns(void)
{
	return current_user_ns();
}

kuid_t rust_helper_task_uid(struct task_struct *task)
{
	return task_uid(task);
}

kgid_t rust_helper_task_gid(struct task_struct *task)
{
	return task_cred_xxx(task, gid);
}

int rust_helper_skb_network_offset(const struct sk_buff *skb)
{
	return skb_network_offset(skb);
}

void *rust_helper_skb_header_pointer(const struct sk_buff *skb, int offset,
				     int len, void *buffer)
{
	return skb_header_pointer(skb, offset, len, buffer);
}

/* rcu_dereference(task->real_parent); the caller holds rcu_read_lock(). */
struct task_struct *rust_helper_checmate_real_parent(struct task_struct *task)
{
	return rcu_dereference(task->real_parent);
}

pid_t rust_helper_task_pid_nr(struct task_struct *task)
{
	return task_pid_nr(task);
}

pid_t rust_helper_task_tgid_nr(struct task_struct *task)
{
	return task_tgid_nr(task);
}

void rust_helper_checmate_init_rcu_work(struct rcu_work *rwork, work_func_t func)
{
	INIT_RCU_WORK(rwork, func);
}

void __percpu *rust_helper_checmate_alloc_percpu_u64(size_t n)
{
	return __alloc_percpu(n * sizeof(u64), sizeof(u64));
}

/* this_cpu_inc() of counter @i of a per-CPU array of u64. */
void rust_helper_checmate_this_cpu_inc(u64 __percpu *counters, size_t i)
{
	this_cpu_inc(counters[i]);
}

u64 *rust_helper_checmate_per_cpu_ptr(u64 __percpu *counters, int cpu)
{
	return per_cpu_ptr(counters, cpu);
}

bool rust_helper_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}

/*
 * Entry @i (< max_entries) of the prog array @map, with a reference taken
 * for the caller, or NULL for an empty slot or a program being freed.
 * Programs are freed after an RCU grace period, hence the read section.
 */
struct bpf_prog *rust_helper_checmate_prog_array_get(struct bpf_map *map, u32 i)
{
	struct bpf_array *array = container_of(map, struct bpf_array, map);
	struct bpf_prog *prog;

	rcu_read_lock();
	prog = READ_ONCE(array->ptrs[i]);
	if (prog && IS_ERR(bpf_prog_inc_not_zero(prog)))
		prog = NULL;
	rcu_read_unlock();
	return prog;
}

/*
 * The cgroup v2 id and the network namespace cookie of current, which a
 * socket it creates takes (sk_alloc(), cgroup_sk_alloc()). For socket_create.
 */
u64 rust_helper_checmate_current_cgroup_id(void)
{
	u64 id;

	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
	return id;
}

u64 rust_helper_checmate_current_netns_cookie(void)
{
	struct nsproxy *ns = current->nsproxy;

	return ns ? ns->net_ns->net_cookie : 0;
}

/*
 * The attach type a BPF_PROG_ATTACH or BPF_LINK_CREATE @attr asks for, or
 * that of the cgroup link a BPF_LINK_UPDATE @attr updates; -1 otherwise.
 */
int rust_helper_checmate_bpf_attach_type(int cmd, const union bpf_attr *attr)
{
	struct bpf_link *link;
	int type = -1;

	switch (cmd) {
	case BPF_PROG_ATTACH:
		return attr->attach_type;
	case BPF_LINK_CREATE:
		return attr->link_create.attach_type;
	case BPF_LINK_UPDATE:
		link = bpf_link_get_from_fd(attr->link_update.link_fd);
		if (IS_ERR(link))
			return -1;
		if (link->type == BPF_LINK_TYPE_CGROUP)
			type = container_of(link, struct bpf_cgroup_link, link)->type;
		bpf_link_put(link);
		return type;
	}
	return -1;
}

/*
 * The address the UNIX sock @sk is bound to, as struct sockaddr_un bytes,
 * *@len of them, or NULL if unbound: unix_sk(sk)->addr, which bind() and
 * autobind publish with smp_store_release() and which lives as long as
 * the sock.
 */
const u8 *rust_helper_checmate_unix_addr(const struct sock *sk, int *len)
{
	const struct unix_address *addr;

	/* Pairs with the smp_store_release() of bind and autobind. */
	addr = smp_load_acquire(&unix_sk(sk)->addr);
	if (!addr)
		return NULL;
	*len = addr->len;
	return (const u8 *)addr->name;
}

/*
 * The inode of the path the UNIX sock @sk is bound to, or NULL; the caller
 * holds unix_state_lock(@sk), under which unix_release_sock() clears it.
 */
struct inode *rust_helper_checmate_unix_inode(const struct sock *sk)
{
	struct dentry *dentry = unix_sk(sk)->path.dentry;

	return dentry ? d_inode(dentry) : NULL;
}

/* current_cred(): the caller's own credentials, which only it replaces. */
const struct cred *rust_helper_checmate_current_cred(void)
{
	return current_cred();
}

/* pid_nr(): the number of @pid (may be NULL) in the initial namespace. */
pid_t rust_helper_checmate_pid_nr(struct pid *pid)
{
	return pid_nr(pid);
}

void rust_helper_preempt_disable(void)
{
	preempt_disable();
}

void rust_helper_preempt_enable(void)
{
	preempt_enable();
}

/* @task's LSM blob (task->security), which lives as long as @task. */
void *rust_helper_checmate_task_security(struct task_struct *task)
{
	return task->security;
}

/*
 * What a bpf(2) command is about, from the kernel's copy of its @attr:
 * out[0] = prog_type, out[1] = attach type, out[2] = map_type (0 where
 * the command has none); returns whether it uses a BPF token.
 */
bool rust_helper_checmate_bpf_attr_types(int cmd, const union bpf_attr *attr, u32 out[3])
{
	int type;

	memset(out, 0, 3 * sizeof(*out));
	switch (cmd) {
	case BPF_PROG_LOAD:
		out[0] = attr->prog_type;
		out[1] = attr->expected_attach_type;
		return attr->prog_flags & BPF_F_TOKEN_FD;
	case BPF_MAP_CREATE:
		out[2] = attr->map_type;
		return attr->map_flags & BPF_F_TOKEN_FD;
	case BPF_BTF_LOAD:
		return attr->btf_flags & BPF_F_TOKEN_FD;
	case BPF_PROG_ATTACH:
	case BPF_LINK_CREATE:
	case BPF_LINK_UPDATE:
		type = rust_helper_checmate_bpf_attach_type(cmd, attr);
		out[1] = type < 0 ? 0 : type;
		return false;
	}
	return false;
}

/* The number of entries of @acl (struct posix_acl is not in the bindings). */
unsigned int rust_helper_checmate_posix_acl_count(const struct posix_acl *acl)
{
	return acl->a_count;
}

/* The nesting level of current's pid namespace (0: the initial one). */
unsigned int rust_helper_checmate_current_pidns_level(void)
{
	return task_active_pid_ns(current)->level;
}

/* The number of supplementary groups in @gi. */
int rust_helper_checmate_ngroups(const struct group_info *gi)
{
	return gi->ngroups;
}

/*
 * Is every group of @new in @old (both sorted, as set_groups() keeps
 * them)? Sets *@gains_root if @new holds gid 0 and @old does not.
 */
bool rust_helper_checmate_groups_subset(const struct group_info *new,
					const struct group_info *old,
					bool *gains_root)
{
	bool subset = true;
	int i;

	*gains_root = false;
	for (i = 0; i < new->ngroups; i++) {
		if (groups_search(old, new->gid[i]))
			continue;
		subset = false;
		if (gid_eq(new->gid[i], GLOBAL_ROOT_GID))
			*gains_root = true;
	}
	return subset;
}

/*
 * Denial events (events.rs): the ring's lock, the readers' wait queue and
 * the irq_work that wakes them from any context a hook runs in.
 */
void rust_helper_checmate_events_init(raw_spinlock_t *lock,
				      struct wait_queue_head *wq,
				      struct irq_work *work,
				      void (*wake)(struct irq_work *))
{
	raw_spin_lock_init(lock);
	init_waitqueue_head(wq);
	init_irq_work(work, wake);
}

unsigned long rust_helper_checmate_raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(lock, flags);
	return flags;
}

void rust_helper_checmate_raw_spin_unlock_irqrestore(raw_spinlock_t *lock,
						     unsigned long flags)
{
	raw_spin_unlock_irqrestore(lock, flags);
}

/* wait_event_interruptible(*@wq, @ready(@arg)): 0, or -ERESTARTSYS. */
int rust_helper_checmate_wait_event(struct wait_queue_head *wq,
				    bool (*ready)(void *), void *arg)
{
	return wait_event_interruptible(*wq, ready(arg));
}

void rust_helper_checmate_poll_wait(struct file *file,
				    struct wait_queue_head *wq, poll_table *pt)
{
	poll_wait(file, wq, pt);
}

/*
 * The event fields about current: pid, tid, euid and cgroup id as seen from
 * the initial namespaces, and comm; CHECMATE_EVENT_F_NO_TASK in interrupt
 * context, where current is whatever task was interrupted.
 */
void rust_helper_checmate_event_task(struct checmate_event *ev)
{
	if (!in_task()) {
		ev->flags |= CHECMATE_EVENT_F_NO_TASK;
		return;
	}
	ev->pid = task_tgid_nr(current);
	ev->tid = task_pid_nr(current);
	ev->uid = from_kuid_munged(&init_user_ns, current_euid());
	/*
	 * Not get_task_comm(): it takes task_lock(current), which hooks such
	 * as capable() may run under (do_prlimit(), ptrace_may_access()).
	 * Unlocked, as audit reads it; a concurrent rename may tear it.
	 */
	strscpy_pad(ev->comm, current->comm);
	rcu_read_lock();
	ev->cgroup_id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
}

/*
 * Never called: puts the UAPI contexts and the event into vmlinux's BTF,
 * which is made from C debug information (only Rust uses these types), so
 * that bpftool and checmatectl can decode them by name.
 */
void rust_helper_checmate_btf_types(void)
{
	BTF_TYPE_EMIT(struct checmate_sock_ctx);
	BTF_TYPE_EMIT(struct checmate_file_ctx);
	BTF_TYPE_EMIT(struct checmate_task_ctx);
	BTF_TYPE_EMIT(struct checmate_mount_ctx);
	BTF_TYPE_EMIT(struct checmate_inode_ctx);
	BTF_TYPE_EMIT(struct checmate_unix_ctx);
	BTF_TYPE_EMIT(struct checmate_cred_ctx);
	BTF_TYPE_EMIT(struct checmate_exec_ctx);
	BTF_TYPE_EMIT(struct checmate_kernel_ctx);
	BTF_TYPE_EMIT(struct checmate_event);
}
