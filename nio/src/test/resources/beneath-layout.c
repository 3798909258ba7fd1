/* Prints the facts Beneath binds, from the kernel's uapi headers, as name=value lines. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

int main(void) {
    printf("sizeof_open_how=%zu\n", sizeof(struct open_how));
    printf("offsetof_flags=%zu\n", offsetof(struct open_how, flags));
    printf("offsetof_mode=%zu\n", offsetof(struct open_how, mode));
    printf("offsetof_resolve=%zu\n", offsetof(struct open_how, resolve));
    printf("sizeof_timespec=%zu\n", sizeof(struct timespec));
    printf("offsetof_tv_nsec=%zu\n", offsetof(struct timespec, tv_nsec));
    printf("RESOLVE_NO_MAGICLINKS=%d\n", (int) RESOLVE_NO_MAGICLINKS);
    printf("RESOLVE_NO_SYMLINKS=%d\n", (int) RESOLVE_NO_SYMLINKS);
    printf("RESOLVE_BENEATH=%d\n", (int) RESOLVE_BENEATH);
    printf("O_PATH=%d\n", O_PATH);
    printf("O_DIRECTORY=%d\n", O_DIRECTORY);
    printf("O_NOFOLLOW=%d\n", O_NOFOLLOW);
    printf("O_CLOEXEC=%d\n", O_CLOEXEC);
    printf("AT_FDCWD=%d\n", AT_FDCWD);
    printf("AT_SYMLINK_NOFOLLOW=%d\n", AT_SYMLINK_NOFOLLOW);
    printf("UTIME_OMIT=%ld\n", (long) UTIME_OMIT);
    printf("SYS_openat2=%ld\n", (long) SYS_openat2);
    return 0;
}
