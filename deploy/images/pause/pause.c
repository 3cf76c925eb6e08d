/*
 * Skiff's pod sandbox process: holds the pod's namespaces open and does nothing else.
 *
 * Sleeps in pause() forever; SIGINT or SIGTERM end it with status 0; as PID 1 of the pod's PID
 * namespace (shared process namespace) it reaps every child that exits (SIGCHLD -> waitpid loop),
 * so no zombie stays behind. `pause -v` prints the version.
 *
 * Built with `gcc -static -Os -s` (glibc, nothing looked up at run time), so the image needs no
 * libraries.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "skiff-pause 1.0"

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts(VERSION);
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "pause: warning: not running as PID 1\n");

  if (handle(SIGINT, on_stop, 0) < 0 || handle(SIGTERM, on_stop, 0) < 0 ||
      handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) < 0) {
    perror("pause: sigaction");
    return 1;
  }
  /* children that exited before the handler was installed */
  on_child(SIGCHLD);

  for (;;) pause();
  return 42; /* not reached */
}
