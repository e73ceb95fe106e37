// SPDX-License-Identifier: GPL-2.0
/*
 * checmate-demo PORT...: try a UDP connect() to 127.0.0.1:PORT for each
 * port and print what happened; `make demo` runs it inside and outside the
 * cgroup an egress policy applies to. Exit status: the number of refusals.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int refused = 0;

	for (int i = 1; i < argc; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(atoi(argv[i])) };
		int s = socket(AF_INET, SOCK_DGRAM, 0), err;

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		err = connect(s, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
		close(s);
		printf("    connect(127.0.0.1:%s) -> %s\n", argv[i], err ? strerror(err) : "ok");
		refused += err != 0;
	}
	return refused;
}
