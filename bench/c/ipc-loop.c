/*
 * W12's physical limit: the same loops as the multiproc and Python participants, in C, straight
 * on the system calls. bench/peers/c-loop.ts compiles this file with `cc -O2` into a temporary
 * directory at bench time (never committed as a binary) and runs it once per mode and test.
 *
 *   ipc-loop MODE TEST WARM_UP COUNT SIZE
 *     MODE  posix-mq | sysv-mq | fifo | pipe | socketpair
 *     TEST  stream:   a forked child sends WARM_UP messages of SIZE bytes, waits for a go byte on
 *                     a pipe, then sends COUNT more; this process receives them all and times from
 *                     the go to the last byte received.
 *           pingpong: this process sends SIZE bytes, the child reads them and sends them back;
 *                     WARM_UP round trips untimed, then COUNT timed.
 *   prints {"ms": ELAPSED}
 *
 * Queues keep message boundaries: one receive per message. Byte streams (pipe, FIFO, socket
 * pair) do not: a message is one write(2) of SIZE bytes, and the stream's receiver reads what
 * is there (up to 64 KiB a read), as a stream reader does; the ping-pong reads exactly SIZE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 8192
#define CHUNK 65536

enum mode { POSIX_MQ, SYSV_MQ, FIFO, PIPE, SOCKETPAIR };

/* One direction of a channel, seen from one process. */
struct channel {
  enum mode mode;
  int fd;         /* pipe, FIFO, socket pair */
  mqd_t mq;       /* POSIX queue */
  int msqid;      /* System V queue */
  long type;      /* System V message type of this direction */
};

static size_t size;

static void die(const char *what) {
  fprintf(stderr, "ipc-loop: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void write_all(int fd, const char *data, size_t length) {
  while (length) {
    ssize_t done = write(fd, data, length);
    if (done < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    data += done;
    length -= (size_t)done;
  }
}

static void read_exactly(int fd, char *data, size_t length) {
  while (length) {
    ssize_t done = read(fd, data, length);
    if (done < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (done == 0) {
      errno = EPIPE;
      die("read: end of file");
    }
    data += done;
    length -= (size_t)done;
  }
}

struct sysv_message {
  long type;
  char text[MAX_SIZE];
};

static void send_message(struct channel *c, const char *data) {
  static struct sysv_message message;
  switch (c->mode) {
    case POSIX_MQ:
      while (mq_send(c->mq, data, size, 0) < 0)
        if (errno != EINTR) die("mq_send");
      break;
    case SYSV_MQ:
      message.type = c->type;
      memcpy(message.text, data, size);
      while (msgsnd(c->msqid, &message, size, 0) < 0)
        if (errno != EINTR) die("msgsnd");
      break;
    default:
      write_all(c->fd, data, size);
  }
}

/* Receives one message of `size` bytes. */
static void receive_message(struct channel *c, char *data) {
  static struct sysv_message message;
  ssize_t got;
  switch (c->mode) {
    case POSIX_MQ:
      while ((got = mq_receive(c->mq, data, size, NULL)) < 0)
        if (errno != EINTR) die("mq_receive");
      if ((size_t)got != size) {
        errno = EPROTO;
        die("mq_receive: short message");
      }
      break;
    case SYSV_MQ:
      while ((got = msgrcv(c->msqid, &message, size, c->type, 0)) < 0)
        if (errno != EINTR) die("msgrcv");
      if ((size_t)got != size) {
        errno = EPROTO;
        die("msgrcv: short message");
      }
      memcpy(data, message.text, size);
      break;
    default:
      read_exactly(c->fd, data, size);
  }
}

/* Receives `count` messages: one receive each on a queue, reads of up to 64 KiB on a stream. */
static void receive_messages(struct channel *c, long count) {
  static char buffer[CHUNK];
  if (c->mode == POSIX_MQ || c->mode == SYSV_MQ) {
    for (long i = 0; i < count; i++) receive_message(c, buffer);
    return;
  }
  size_t left = (size_t)count * size;
  while (left) {
    ssize_t done = read(c->fd, buffer, left < CHUNK ? left : CHUNK);
    if (done < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (done == 0) {
      errno = EPIPE;
      die("read: end of file");
    }
    left -= (size_t)done;
  }
}

static enum mode parse_mode(const char *name) {
  if (!strcmp(name, "posix-mq")) return POSIX_MQ;
  if (!strcmp(name, "sysv-mq")) return SYSV_MQ;
  if (!strcmp(name, "fifo")) return FIFO;
  if (!strcmp(name, "pipe")) return PIPE;
  if (!strcmp(name, "socketpair")) return SOCKETPAIR;
  fprintf(stderr, "ipc-loop: unknown mode %s\n", name);
  exit(2);
}

/* What is left to remove when the run ends, however it ends. */
static char fifo_dir[64], fifo_paths[2][96], mq_names[2][64];
static int msqid_to_remove = -1;

static void clean_up(void) {
  for (int i = 0; i < 2; i++) {
    if (fifo_paths[i][0]) unlink(fifo_paths[i]);
    if (mq_names[i][0]) mq_unlink(mq_names[i]);
  }
  if (fifo_dir[0]) rmdir(fifo_dir);
  if (msqid_to_remove >= 0) msgctl(msqid_to_remove, IPC_RMID, NULL);
}

/* The harness's timeout sends SIGTERM: remove the queues and FIFOs all the same. */
static void on_signal(int signal) {
  clean_up();
  _exit(128 + signal);
}

/*
 * Creates the two directions (0: child to parent, 1: parent to child) and returns after fork()
 * with `in` and `out` set for the calling side; `is_child` tells which side this is.
 */
static void open_channels(enum mode mode, struct channel *in, struct channel *out, int *is_child, pid_t *child) {
  int fds[2][2];
  in->mode = out->mode = mode;
  if (mode == PIPE) {
    if (pipe2(fds[0], O_CLOEXEC) < 0 || pipe2(fds[1], O_CLOEXEC) < 0) die("pipe2");
  } else if (mode == SOCKETPAIR) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds[0]) < 0) die("socketpair");
  } else if (mode == FIFO) {
    const char *tmp = getenv("TMPDIR");
    snprintf(fifo_dir, sizeof fifo_dir, "%s/ipc-loop-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : P_tmpdir);
    if (!mkdtemp(fifo_dir)) die("mkdtemp");
    for (int i = 0; i < 2; i++) {
      snprintf(fifo_paths[i], sizeof fifo_paths[i], "%s/fifo%d", fifo_dir, i);
      if (mkfifo(fifo_paths[i], 0600) < 0) die("mkfifo");
    }
  } else if (mode == POSIX_MQ) {
    struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = (long)size};
    for (int i = 0; i < 2; i++) {
      snprintf(mq_names[i], sizeof mq_names[i], "/ipc-loop-%d-%d", (int)getpid(), i);
      mqd_t q = mq_open(mq_names[i], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
      if (q == (mqd_t)-1) die("mq_open");
      mq_close(q);
    }
  } else {
    msqid_to_remove = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (msqid_to_remove < 0) die("msgget");
  }
  *child = fork();
  if (*child < 0) die("fork");
  *is_child = *child == 0;
  int me = *is_child;  /* the child receives on direction 1, the parent on direction 0 */
  switch (mode) {
    case PIPE:
      in->fd = fds[me][0];
      out->fd = fds[!me][1];
      close(fds[me][1]);
      close(fds[!me][0]);
      break;
    case SOCKETPAIR:
      in->fd = out->fd = fds[0][me];
      close(fds[0][!me]);
      break;
    case FIFO:
      /* Opened in the same order on both sides, so neither open waits for ever. */
      if (me) {
        if ((out->fd = open(fifo_paths[0], O_WRONLY | O_CLOEXEC)) < 0) die("open fifo");
        if ((in->fd = open(fifo_paths[1], O_RDONLY | O_CLOEXEC)) < 0) die("open fifo");
      } else {
        if ((in->fd = open(fifo_paths[0], O_RDONLY | O_CLOEXEC)) < 0) die("open fifo");
        if ((out->fd = open(fifo_paths[1], O_WRONLY | O_CLOEXEC)) < 0) die("open fifo");
      }
      break;
    case POSIX_MQ:
      if ((in->mq = mq_open(mq_names[me], O_RDONLY | O_CLOEXEC)) == (mqd_t)-1) die("mq_open");
      if ((out->mq = mq_open(mq_names[!me], O_WRONLY | O_CLOEXEC)) == (mqd_t)-1) die("mq_open");
      break;
    case SYSV_MQ:
      in->msqid = out->msqid = msqid_to_remove;
      in->type = me + 1;
      out->type = !me + 1;
      break;
  }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: ipc-loop posix-mq|sysv-mq|fifo|pipe|socketpair stream|pingpong WARM_UP COUNT SIZE\n");
    return 2;
  }
  enum mode mode = parse_mode(argv[1]);
  int pingpong = !strcmp(argv[2], "pingpong");
  long warm_up = atol(argv[3]), count = atol(argv[4]);
  size = (size_t)atol(argv[5]);
  if ((!pingpong && strcmp(argv[2], "stream")) || warm_up < 0 || count < 1 || size < 1 || size > MAX_SIZE) {
    fprintf(stderr, "ipc-loop: bad arguments\n");
    return 2;
  }
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) die("pipe2");
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  pid_t parent = getpid();
  struct channel in, out;
  int is_child;
  pid_t child;
  open_channels(mode, &in, &out, &is_child, &child);
  char message[MAX_SIZE];
  memset(message, 7, size);

  if (is_child) {
    /* A parent that dies (killed at the harness's timeout) must not leave its child waiting. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    if (pingpong) {
      for (long i = 0; i < warm_up + count; i++) {
        receive_message(&in, message);
        send_message(&out, message);
      }
    } else {
      char byte;
      for (long i = 0; i < warm_up; i++) send_message(&out, message);
      read_exactly(go[0], &byte, 1);
      for (long i = 0; i < count; i++) send_message(&out, message);
    }
    _exit(0);
  }
  atexit(clean_up);
  double started = 0;
  if (pingpong) {
    for (long i = 0; i < warm_up + count; i++) {
      if (i == warm_up) started = now_ms();
      send_message(&out, message);
      receive_message(&in, message);
    }
  } else {
    receive_messages(&in, warm_up);
    started = now_ms();
    write_all(go[1], "g", 1);
    receive_messages(&in, count);
  }
  double elapsed = now_ms() - started;
  int status;
  if (waitpid(child, &status, 0) < 0) die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "ipc-loop: the child failed (status %d)\n", status);
    return 1;
  }
  printf("{\"ms\": %.3f}\n", elapsed);
  return 0;
}
