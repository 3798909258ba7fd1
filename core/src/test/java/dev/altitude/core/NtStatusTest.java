package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NtStatusTest {

    @Test
    void codesAndNamesAreTheWindowsOnes() {
        assertThat(NtStatus.FLT_DO_NOT_DETACH.code()).isEqualTo(0xC01C0010);
        assertThat(NtStatus.FLT_DO_NOT_DETACH.name()).isEqualTo("STATUS_FLT_DO_NOT_DETACH");
        assertThat(NtStatus.FLT_DELETING_OBJECT.code()).isEqualTo(0xC01C000B);
        assertThat(NtStatus.FLT_FILTER_NOT_FOUND.code()).isEqualTo(0xC01C0013);
        assertThat(NtStatus.CONNECTION_COUNT_LIMIT.code()).isEqualTo(0xC0000246);
        assertThat(NtStatus.FLT_NO_WAITER_FOR_REPLY.code()).isEqualTo(0xC01C0020);
        assertThat(NtStatus.TIMEOUT.code()).isEqualTo(0x102);
        assertThat(NtStatus.of(0xC01C0010)).isSameAs(NtStatus.FLT_DO_NOT_DETACH);
        assertThat(NtStatus.named("FLT_DO_NOT_DETACH")).contains(NtStatus.FLT_DO_NOT_DETACH);
        assertThat(NtStatus.named("STATUS_ACCESS_DENIED")).contains(NtStatus.ACCESS_DENIED);
    }

    @Test
    void everySpecCodeIsDefinedOnce() {
        assertThat(NtStatus.known()).extracting(NtStatus::code).doesNotHaveDuplicates();
        assertThat(NtStatus.known()).extracting(NtStatus::name).doesNotHaveDuplicates()
                .contains("STATUS_SUCCESS", "STATUS_TIMEOUT", "STATUS_BUFFER_OVERFLOW", "STATUS_INVALID_PARAMETER",
                        "STATUS_OBJECT_NAME_NOT_FOUND", "STATUS_OBJECT_NAME_COLLISION", "STATUS_PORT_DISCONNECTED",
                        "STATUS_THREAD_IS_TERMINATING", "STATUS_INSUFFICIENT_RESOURCES", "STATUS_NOT_SUPPORTED",
                        "STATUS_IMAGE_ALREADY_LOADED", "STATUS_NOT_FOUND", "STATUS_CONNECTION_COUNT_LIMIT",
                        "STATUS_FAILED_DRIVER_ENTRY", "STATUS_DRIVER_FAILED_PRIOR_UNLOAD",
                        "STATUS_FLT_CBDQ_DISABLED", "STATUS_FLT_DO_NOT_ATTACH", "STATUS_FLT_INSTANCE_ALTITUDE_COLLISION",
                        "STATUS_FLT_INSTANCE_NAME_COLLISION", "STATUS_FLT_VOLUME_NOT_FOUND",
                        "STATUS_FLT_INSTANCE_NOT_FOUND", "STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND",
                        "STATUS_FLT_CONTEXT_ALREADY_LINKED", "STATUS_FLT_REGISTRATION_BUSY", "STATUS_FLT_WCOS_NOT_SUPPORTED");
    }

    @Test
    void severityClassification() {
        assertThat(NtStatus.SUCCESS.isSuccess()).isTrue();
        assertThat(NtStatus.TIMEOUT.isSuccess()).as("STATUS_TIMEOUT is a success, as NT_SUCCESS() says").isTrue();
        assertThat(NtStatus.TIMEOUT.isFailure()).isFalse();
        assertThat(NtStatus.BUFFER_OVERFLOW.isWarning()).isTrue();
        assertThat(NtStatus.BUFFER_OVERFLOW.isFailure()).isTrue();
        assertThat(NtStatus.BUFFER_OVERFLOW.isSuccess()).isFalse();
        assertThat(NtStatus.ACCESS_DENIED.isError()).isTrue();
        assertThat(NtStatus.of(0x40000000).isInformational()).isTrue();
        assertThat(NtStatus.of(0x40000000).isSuccess()).isTrue();
    }

    @Test
    void filterManagerCodesHaveTheFltmcForm() {
        assertThat(NtStatus.FLT_DO_NOT_DETACH.toHResult()).isEqualTo(0x801F0010);
        assertThat(NtStatus.FLT_NO_WAITER_FOR_REPLY.toHResult()).isEqualTo(0x801F0020);
        assertThat(NtStatus.FLT_DO_NOT_DETACH.toAdminString()).isEqualTo("STATUS_FLT_DO_NOT_DETACH (0x801F0010)");
        assertThat(NtStatus.SUCCESS.toHResult()).isZero();
        assertThat(NtStatus.ACCESS_DENIED.toHResult()).isEqualTo(0xD0000022);
        assertThat(NtStatus.FLT_DO_NOT_DETACH).hasToString("STATUS_FLT_DO_NOT_DETACH (0xC01C0010)");
    }

    @Test
    void unknownCodesAreCarriedWithAGeneratedName() {
        NtStatus odd = NtStatus.of(0xC0DE0001);
        assertThat(odd.name()).isEqualTo("STATUS_0xC0DE0001");
        assertThat(odd.isError()).isTrue();
        assertThat(odd).isEqualTo(NtStatus.of(0xC0DE0001));
    }
}
