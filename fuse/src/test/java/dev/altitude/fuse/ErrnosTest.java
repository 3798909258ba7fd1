package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.NtStatus;
import org.junit.jupiter.api.Test;

class ErrnosTest {
    @Test
    void everyStatusInTheTableMapsToItsErrnoAndEveryErrnoBackToAStatusWithThatErrno() {
        assertThat(Errnos.table()).hasSizeGreaterThan(25);
        Errnos.table().forEach((status, errno) -> {
            assertThat(Errnos.toErrno(status)).as("%s", status).isEqualTo(errno);
            assertThat(Errnos.toErrno(Errnos.toStatus(errno))).as("errno %d round trip", errno).isEqualTo(errno);
        });
    }

    @Test
    void theCommonCasesAreTheOnesCallersExpect() {
        assertThat(Errnos.toErrno(NtStatus.SUCCESS)).isZero();
        assertThat(Errnos.toErrno(NtStatus.OBJECT_NAME_NOT_FOUND)).isEqualTo(2);
        assertThat(Errnos.toErrno(NtStatus.ACCESS_DENIED)).isEqualTo(13);
        assertThat(Errnos.toErrno(NtStatus.DIRECTORY_NOT_EMPTY)).isEqualTo(39);
        assertThat(Errnos.toErrno(NtStatus.FLT_DELETING_OBJECT)).as("an error the table does not name").isEqualTo(5);
        assertThat(Errnos.toErrno(NtStatus.TIMEOUT)).as("a success code").isZero();
        assertThat(Errnos.toStatus(2)).isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND);
        assertThat(Errnos.toStatus(-13)).as("negative, as FUSE answers").isEqualTo(NtStatus.ACCESS_DENIED);
        assertThat(Errnos.toStatus(0)).isEqualTo(NtStatus.SUCCESS);
        assertThat(Errnos.toStatus(9999)).isEqualTo(NtStatus.UNEXPECTED_IO_ERROR);
    }

    @Test
    void aRealDisksErrorsReachTheCallerAsTheirOwnErrno() {
        assertThat(Errnos.toErrno(NtStatus.DISK_FULL)).isEqualTo(28);               // ENOSPC
        assertThat(Errnos.toErrno(NtStatus.QUOTA_EXCEEDED)).isEqualTo(122);         // EDQUOT
        assertThat(Errnos.toErrno(NtStatus.FILE_TOO_LARGE)).isEqualTo(27);          // EFBIG
        assertThat(Errnos.toErrno(NtStatus.MEDIA_WRITE_PROTECTED)).isEqualTo(30);   // EROFS
        assertThat(Errnos.toErrno(NtStatus.NAME_TOO_LONG)).isEqualTo(36);           // ENAMETOOLONG
        assertThat(Errnos.toErrno(NtStatus.TOO_MANY_LINKS)).isEqualTo(31);          // EMLINK
        assertThat(Errnos.toErrno(NtStatus.REPARSE_POINT_NOT_RESOLVED)).isEqualTo(40); // ELOOP
    }
}
