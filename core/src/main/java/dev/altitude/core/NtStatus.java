package dev.altitude.core;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Windows {@code NTSTATUS}: a 32-bit code with its name.
 *
 * <p>The two top bits are the severity: 0 success, 1 informational, 2 warning, 3 error. As with the
 * {@code NT_SUCCESS()} macro, success and informational codes count as success, so
 * {@link #TIMEOUT} ({@code 0x00000102}) is a success. Filter-manager codes (facility {@code 0x1C},
 * {@code 0xC01Cnnnn}) have a user-mode form {@code 0x801Fnnnn} ({@link #toHResult()}), which is what an
 * admin tool such as {@code fltmc} prints.
 *
 * <p>Every code a filter may meet has a constant here; {@link #of(int)} gives the constant for a known
 * code and an unnamed status for any other, so a filter can return any code it likes.
 */
public final class NtStatus {

    private static final Map<Integer, NtStatus> KNOWN = new LinkedHashMap<>();

    // success and informational
    public static final NtStatus SUCCESS = define("STATUS_SUCCESS", 0x00000000);
    public static final NtStatus TIMEOUT = define("STATUS_TIMEOUT", 0x00000102);
    public static final NtStatus PENDING = define("STATUS_PENDING", 0x00000103);
    public static final NtStatus REPARSE = define("STATUS_REPARSE", 0x00000104);
    /** A change notification ends because its directory handle was cleaned up (closed). */
    public static final NtStatus NOTIFY_CLEANUP = define("STATUS_NOTIFY_CLEANUP", 0x0000010B);
    /** More changes happened than a notification could hold: enumerate the directory again. */
    public static final NtStatus NOTIFY_ENUM_DIR = define("STATUS_NOTIFY_ENUM_DIR", 0x0000010C);
    // warnings
    public static final NtStatus BUFFER_OVERFLOW = define("STATUS_BUFFER_OVERFLOW", 0x80000005);
    public static final NtStatus NO_MORE_FILES = define("STATUS_NO_MORE_FILES", 0x80000006);
    public static final NtStatus STOPPED_ON_SYMLINK = define("STATUS_STOPPED_ON_SYMLINK", 0x8000002D);
    /**
     * Altitude's own (the customer bit, 0x20000000, in the filter manager's facility): an instance attached, but its
     * volume cannot present some of the pre-operations its filter registered (a fanotify volume has no pre-WRITE);
     * those callbacks will not run there. {@link Instance#attachStatus()} and {@code fltmc attach} give it.
     */
    public static final NtStatus FLT_PRE_OPERATIONS_NOT_DELIVERED = define("STATUS_FLT_PRE_OPERATIONS_NOT_DELIVERED", 0xA01C0001);
    // errors, general
    public static final NtStatus UNSUCCESSFUL = define("STATUS_UNSUCCESSFUL", 0xC0000001);
    public static final NtStatus NOT_IMPLEMENTED = define("STATUS_NOT_IMPLEMENTED", 0xC0000002);
    public static final NtStatus INVALID_HANDLE = define("STATUS_INVALID_HANDLE", 0xC0000008);
    public static final NtStatus INVALID_PARAMETER = define("STATUS_INVALID_PARAMETER", 0xC000000D);
    public static final NtStatus NO_SUCH_FILE = define("STATUS_NO_SUCH_FILE", 0xC000000F);
    public static final NtStatus INVALID_DEVICE_REQUEST = define("STATUS_INVALID_DEVICE_REQUEST", 0xC0000010);
    public static final NtStatus END_OF_FILE = define("STATUS_END_OF_FILE", 0xC0000011);
    public static final NtStatus ACCESS_DENIED = define("STATUS_ACCESS_DENIED", 0xC0000022);
    public static final NtStatus BUFFER_TOO_SMALL = define("STATUS_BUFFER_TOO_SMALL", 0xC0000023);
    public static final NtStatus OBJECT_TYPE_MISMATCH = define("STATUS_OBJECT_TYPE_MISMATCH", 0xC0000024);
    public static final NtStatus OBJECT_NAME_INVALID = define("STATUS_OBJECT_NAME_INVALID", 0xC0000033);
    public static final NtStatus OBJECT_NAME_NOT_FOUND = define("STATUS_OBJECT_NAME_NOT_FOUND", 0xC0000034);
    public static final NtStatus OBJECT_NAME_COLLISION = define("STATUS_OBJECT_NAME_COLLISION", 0xC0000035);
    public static final NtStatus PORT_DISCONNECTED = define("STATUS_PORT_DISCONNECTED", 0xC0000037);
    public static final NtStatus OBJECT_PATH_NOT_FOUND = define("STATUS_OBJECT_PATH_NOT_FOUND", 0xC000003A);
    public static final NtStatus PORT_CONNECTION_REFUSED = define("STATUS_PORT_CONNECTION_REFUSED", 0xC0000041);
    public static final NtStatus SHARING_VIOLATION = define("STATUS_SHARING_VIOLATION", 0xC0000043);
    public static final NtStatus QUOTA_EXCEEDED = define("STATUS_QUOTA_EXCEEDED", 0xC0000044);
    public static final NtStatus THREAD_IS_TERMINATING = define("STATUS_THREAD_IS_TERMINATING", 0xC000004B);
    public static final NtStatus EAS_NOT_SUPPORTED = define("STATUS_EAS_NOT_SUPPORTED", 0xC000004F);
    public static final NtStatus NO_EAS_ON_FILE = define("STATUS_NO_EAS_ON_FILE", 0xC0000052);
    public static final NtStatus PRIVILEGE_NOT_HELD = define("STATUS_PRIVILEGE_NOT_HELD", 0xC0000061);
    public static final NtStatus FILE_LOCK_CONFLICT = define("STATUS_FILE_LOCK_CONFLICT", 0xC0000054);
    public static final NtStatus LOCK_NOT_GRANTED = define("STATUS_LOCK_NOT_GRANTED", 0xC0000055);
    public static final NtStatus DELETE_PENDING = define("STATUS_DELETE_PENDING", 0xC0000056);
    public static final NtStatus DISK_FULL = define("STATUS_DISK_FULL", 0xC000007F);
    public static final NtStatus INSUFFICIENT_RESOURCES = define("STATUS_INSUFFICIENT_RESOURCES", 0xC000009A);
    public static final NtStatus MEDIA_WRITE_PROTECTED = define("STATUS_MEDIA_WRITE_PROTECTED", 0xC00000A2);
    public static final NtStatus FILE_IS_A_DIRECTORY = define("STATUS_FILE_IS_A_DIRECTORY", 0xC00000BA);
    public static final NtStatus NOT_SUPPORTED = define("STATUS_NOT_SUPPORTED", 0xC00000BB);
    public static final NtStatus NOT_SAME_DEVICE = define("STATUS_NOT_SAME_DEVICE", 0xC00000D4);
    public static final NtStatus UNEXPECTED_IO_ERROR = define("STATUS_UNEXPECTED_IO_ERROR", 0xC00000E9);
    public static final NtStatus DIRECTORY_NOT_EMPTY = define("STATUS_DIRECTORY_NOT_EMPTY", 0xC0000101);
    public static final NtStatus NOT_A_DIRECTORY = define("STATUS_NOT_A_DIRECTORY", 0xC0000103);
    public static final NtStatus NAME_TOO_LONG = define("STATUS_NAME_TOO_LONG", 0xC0000106);
    public static final NtStatus IMAGE_ALREADY_LOADED = define("STATUS_IMAGE_ALREADY_LOADED", 0xC000010E);
    public static final NtStatus CANCELLED = define("STATUS_CANCELLED", 0xC0000120);
    public static final NtStatus CANNOT_DELETE = define("STATUS_CANNOT_DELETE", 0xC0000121);
    public static final NtStatus FILE_DELETED = define("STATUS_FILE_DELETED", 0xC0000123);
    public static final NtStatus FILE_CLOSED = define("STATUS_FILE_CLOSED", 0xC0000128);
    public static final NtStatus UNHANDLED_EXCEPTION = define("STATUS_UNHANDLED_EXCEPTION", 0xC0000144);
    public static final NtStatus IO_DEVICE_ERROR = define("STATUS_IO_DEVICE_ERROR", 0xC0000185);
    public static final NtStatus POSSIBLE_DEADLOCK = define("STATUS_POSSIBLE_DEADLOCK", 0xC0000194);
    public static final NtStatus INVALID_BUFFER_SIZE = define("STATUS_INVALID_BUFFER_SIZE", 0xC0000206);
    public static final NtStatus NOT_FOUND = define("STATUS_NOT_FOUND", 0xC0000225);
    public static final NtStatus CONNECTION_COUNT_LIMIT = define("STATUS_CONNECTION_COUNT_LIMIT", 0xC0000246);
    public static final NtStatus TOO_MANY_LINKS = define("STATUS_TOO_MANY_LINKS", 0xC0000265);
    public static final NtStatus VOLUME_DISMOUNTED = define("STATUS_VOLUME_DISMOUNTED", 0xC000026E);
    public static final NtStatus NOT_A_REPARSE_POINT = define("STATUS_NOT_A_REPARSE_POINT", 0xC0000275);
    public static final NtStatus REPARSE_POINT_NOT_RESOLVED = define("STATUS_REPARSE_POINT_NOT_RESOLVED", 0xC0000280);
    public static final NtStatus FAILED_DRIVER_ENTRY = define("STATUS_FAILED_DRIVER_ENTRY", 0xC0000365);
    public static final NtStatus DRIVER_FAILED_PRIOR_UNLOAD = define("STATUS_DRIVER_FAILED_PRIOR_UNLOAD", 0xC000038E);
    public static final NtStatus FILE_TOO_LARGE = define("STATUS_FILE_TOO_LARGE", 0xC0000904);
    public static final NtStatus VIRUS_INFECTED = define("STATUS_VIRUS_INFECTED", 0xC0000906);
    // errors, filter manager (facility 0x1C)
    public static final NtStatus FLT_NO_HANDLER_DEFINED = define("STATUS_FLT_NO_HANDLER_DEFINED", 0xC01C0001);
    public static final NtStatus FLT_CONTEXT_ALREADY_DEFINED = define("STATUS_FLT_CONTEXT_ALREADY_DEFINED", 0xC01C0002);
    public static final NtStatus FLT_INVALID_ASYNCHRONOUS_REQUEST = define("STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST", 0xC01C0003);
    public static final NtStatus FLT_DISALLOW_FAST_IO = define("STATUS_FLT_DISALLOW_FAST_IO", 0xC01C0004);
    public static final NtStatus FLT_INVALID_NAME_REQUEST = define("STATUS_FLT_INVALID_NAME_REQUEST", 0xC01C0005);
    public static final NtStatus FLT_NOT_SAFE_TO_POST_OPERATION = define("STATUS_FLT_NOT_SAFE_TO_POST_OPERATION", 0xC01C0006);
    public static final NtStatus FLT_NOT_INITIALIZED = define("STATUS_FLT_NOT_INITIALIZED", 0xC01C0007);
    public static final NtStatus FLT_FILTER_NOT_READY = define("STATUS_FLT_FILTER_NOT_READY", 0xC01C0008);
    public static final NtStatus FLT_POST_OPERATION_CLEANUP = define("STATUS_FLT_POST_OPERATION_CLEANUP", 0xC01C0009);
    public static final NtStatus FLT_INTERNAL_ERROR = define("STATUS_FLT_INTERNAL_ERROR", 0xC01C000A);
    public static final NtStatus FLT_DELETING_OBJECT = define("STATUS_FLT_DELETING_OBJECT", 0xC01C000B);
    public static final NtStatus FLT_MUST_BE_NONPAGED_POOL = define("STATUS_FLT_MUST_BE_NONPAGED_POOL", 0xC01C000C);
    public static final NtStatus FLT_DUPLICATE_ENTRY = define("STATUS_FLT_DUPLICATE_ENTRY", 0xC01C000D);
    public static final NtStatus FLT_CBDQ_DISABLED = define("STATUS_FLT_CBDQ_DISABLED", 0xC01C000E);
    public static final NtStatus FLT_DO_NOT_ATTACH = define("STATUS_FLT_DO_NOT_ATTACH", 0xC01C000F);
    public static final NtStatus FLT_DO_NOT_DETACH = define("STATUS_FLT_DO_NOT_DETACH", 0xC01C0010);
    public static final NtStatus FLT_INSTANCE_ALTITUDE_COLLISION = define("STATUS_FLT_INSTANCE_ALTITUDE_COLLISION", 0xC01C0011);
    public static final NtStatus FLT_INSTANCE_NAME_COLLISION = define("STATUS_FLT_INSTANCE_NAME_COLLISION", 0xC01C0012);
    public static final NtStatus FLT_FILTER_NOT_FOUND = define("STATUS_FLT_FILTER_NOT_FOUND", 0xC01C0013);
    public static final NtStatus FLT_VOLUME_NOT_FOUND = define("STATUS_FLT_VOLUME_NOT_FOUND", 0xC01C0014);
    public static final NtStatus FLT_INSTANCE_NOT_FOUND = define("STATUS_FLT_INSTANCE_NOT_FOUND", 0xC01C0015);
    public static final NtStatus FLT_CONTEXT_ALLOCATION_NOT_FOUND = define("STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND", 0xC01C0016);
    public static final NtStatus FLT_INVALID_CONTEXT_REGISTRATION = define("STATUS_FLT_INVALID_CONTEXT_REGISTRATION", 0xC01C0017);
    public static final NtStatus FLT_NAME_CACHE_MISS = define("STATUS_FLT_NAME_CACHE_MISS", 0xC01C0018);
    public static final NtStatus FLT_NO_DEVICE_OBJECT = define("STATUS_FLT_NO_DEVICE_OBJECT", 0xC01C0019);
    public static final NtStatus FLT_VOLUME_ALREADY_MOUNTED = define("STATUS_FLT_VOLUME_ALREADY_MOUNTED", 0xC01C001A);
    public static final NtStatus FLT_ALREADY_ENLISTED = define("STATUS_FLT_ALREADY_ENLISTED", 0xC01C001B);
    public static final NtStatus FLT_CONTEXT_ALREADY_LINKED = define("STATUS_FLT_CONTEXT_ALREADY_LINKED", 0xC01C001C);
    public static final NtStatus FLT_NO_WAITER_FOR_REPLY = define("STATUS_FLT_NO_WAITER_FOR_REPLY", 0xC01C0020);
    public static final NtStatus FLT_REGISTRATION_BUSY = define("STATUS_FLT_REGISTRATION_BUSY", 0xC01C0023);
    public static final NtStatus FLT_WCOS_NOT_SUPPORTED = define("STATUS_FLT_WCOS_NOT_SUPPORTED", 0xC01C0024);

    private static final int FLT_FACILITY = 0x1C;
    private static final int USERMODE_FLT_FACILITY_HRESULT = 0x801F0000;
    private static final int FACILITY_NT_BIT = 0x10000000;

    private final int code;
    private final String name;

    private NtStatus(int code, String name) {
        this.code = code;
        this.name = name;
    }

    private static NtStatus define(String name, int code) {
        NtStatus s = new NtStatus(code, name);
        if (KNOWN.putIfAbsent(code, s) != null) {
            throw new ExceptionInInitializerError("duplicate NTSTATUS code " + name);
        }
        return s;
    }

    /** The constant for a known code, or an unnamed status carrying {@code code}. */
    public static NtStatus of(int code) {
        NtStatus known = KNOWN.get(code);
        return known != null ? known : new NtStatus(code, null);
    }

    /** The status with this name ({@code STATUS_ACCESS_DENIED} or {@code ACCESS_DENIED}), if known. */
    public static java.util.Optional<NtStatus> named(String name) {
        String full = name.startsWith("STATUS_") ? name : "STATUS_" + name;
        return KNOWN.values().stream().filter(s -> s.name.equals(full)).findFirst();
    }

    /** Every named status, in definition order. */
    public static Collection<NtStatus> known() {
        return Collections.unmodifiableCollection(KNOWN.values());
    }

    /** The 32-bit code. */
    public int code() {
        return code;
    }

    /** The Windows name ({@code STATUS_...}), or {@code STATUS_0x...} for an unnamed code. */
    public String name() {
        return name != null ? name : "STATUS_" + hex(code);
    }

    /** 0 success, 1 informational, 2 warning, 3 error. */
    public int severity() {
        return code >>> 30;
    }

    /** {@code NT_SUCCESS()}: success or informational (e.g. {@link #TIMEOUT}). */
    public boolean isSuccess() {
        return code >= 0;
    }

    public boolean isInformational() {
        return severity() == 1;
    }

    public boolean isWarning() {
        return severity() == 2;
    }

    public boolean isError() {
        return severity() == 3;
    }

    /** A warning or an error: what refuses an optional unload, a detach or an attach. */
    public boolean isFailure() {
        return code < 0;
    }

    public int facility() {
        return (code >>> 16) & 0x0FFF;
    }

    /**
     * The user-mode {@code HRESULT} form: {@code S_OK} for success, {@code 0x801Fnnnn} for filter-manager
     * codes (as FltLib and {@code fltmc} report them), {@code HRESULT_FROM_NT} otherwise.
     */
    public int toHResult() {
        if (code == 0) {
            return 0;
        }
        if (facility() == FLT_FACILITY) {
            return USERMODE_FLT_FACILITY_HRESULT | (code & 0xFFFF);
        }
        return code | FACILITY_NT_BIT;
    }

    /** {@code STATUS_FLT_DO_NOT_DETACH (0x801F0010)}: the form an admin command prints. */
    public String toAdminString() {
        return name() + " (" + hex(toHResult()) + ")";
    }

    public static String hex(int value) {
        return String.format("0x%08X", value);
    }

    /** Throws {@link NtStatusException} with this status unless it is a success. */
    NtStatus orThrow(String what) {
        if (isFailure()) {
            throw new NtStatusException(this, what);
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NtStatus other && other.code == code;
    }

    @Override
    public int hashCode() {
        return code;
    }

    /** {@code STATUS_FLT_DO_NOT_DETACH (0xC01C0010)}. */
    @Override
    public String toString() {
        return name() + " (" + hex(code) + ")";
    }
}
