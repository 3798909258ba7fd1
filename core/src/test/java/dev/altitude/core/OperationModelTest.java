package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.IoParameters.FileInformation;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The operation model is typed: what a filter reads and changes has one form whichever front end sent it. */
class OperationModelTest {

    /** One of each parameter record. */
    static final List<IoParameters> ONE_OF_EACH = List.of(
            IoParameters.Create.open(Set.of(IoParameters.Access.READ_DATA)),
            new IoParameters.Read(0, ByteBuffer.allocate(1)),
            new IoParameters.Write(0, ByteBuffer.allocate(1)),
            new IoParameters.QueryInformation(FileInformationClass.FileBasicInformation),
            new IoParameters.SetInformation(new FileInformation.EndOfFile(0)),
            new IoParameters.DirectoryControl(null),
            new IoParameters.FlushBuffers(false),
            new IoParameters.QueryVolumeInformation(IoParameters.FsInformationClass.FileFsSizeInformation),
            new IoParameters.QuerySecurity(),
            IoParameters.SetSecurity.mode(new FileMode(0644)),
            new IoParameters.QueryEa(null),
            new IoParameters.SetEa("a", null),
            new IoParameters.LockControl(0, 1, false, true),
            IoParameters.FileSystemControl.getReparsePoint(),
            new IoParameters.Cleanup(),
            new IoParameters.Close(),
            new IoParameters.Shutdown(),
            new IoParameters.AcquireForSectionSynchronization(IoParameters.PageProtection.READONLY, 0, 1),
            new IoParameters.QueryOpen(FileInformationClass.FileBasicInformation, false));

    /** Records of a second minor function of a major function: named after the minor function. */
    static final List<IoParameters> MINOR = List.of(
            new IoParameters.NotifyChangeDirectory(Set.of(IoParameters.ChangeAction.ADDED)));

    @Test
    void everyParameterRecordHasItsOwnMajorFunctionFromOneTable() {
        Set<Class<?>> covered = new HashSet<>();
        Set<MajorFunction> majors = EnumSet.noneOf(MajorFunction.class);
        for (IoParameters p : ONE_OF_EACH) {
            covered.add(p.getClass());
            assertThat(majors.add(p.majorFunction())).as("%s has a major function of its own", p).isTrue();
            assertThat(p.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase())
                    .as("the record is named after its major function").isEqualTo(p.majorFunction().name());
        }
        for (IoParameters p : MINOR) {
            covered.add(p.getClass());
            assertThat(majors).as("%s: a minor function of a major function another record has", p).contains(p.majorFunction());
        }
        assertThat(covered).as("every parameter record is in the table")
                .containsExactlyInAnyOrder(IoParameters.class.getPermittedSubclasses());
    }

    @Test
    void noPartOfTheModelIsAnUntypedObject() {
        List<String> untyped = new ArrayList<>();
        List<Class<?>> records = new ArrayList<>();
        records.addAll(Arrays.asList(IoParameters.class.getPermittedSubclasses()));
        records.addAll(Arrays.asList(IoResult.class.getPermittedSubclasses()));
        records.addAll(Arrays.asList(FileInformation.class.getPermittedSubclasses()));
        records.addAll(Arrays.asList(IoParameters.FsControl.class.getPermittedSubclasses()));
        records.add(IoResult.DirectoryEntry.class);
        for (Class<?> r : records) {
            for (RecordComponent c : r.getRecordComponents()) {
                if (c.getType() == Object.class) {
                    untyped.add(r.getSimpleName() + "." + c.getName());
                }
            }
        }
        for (Method m : CallbackData.class.getMethods()) {
            if (m.getName().contains("esult") || m.getName().equals("parameters")) {
                if (m.getReturnType() == Object.class) {
                    untyped.add("CallbackData." + m.getName() + " returns Object");
                }
                for (Type t : m.getGenericParameterTypes()) {
                    if (t == Object.class) {
                        untyped.add("CallbackData." + m.getName() + " takes Object");
                    }
                }
            }
        }
        assertThat(untyped).isEmpty();
    }

    @Test
    void setInformationTakesOnlyInformationOfItsClass() {
        assertThat(new IoParameters.SetInformation(new FileInformation.Rename("/b", false)).informationClass())
                .isEqualTo(FileInformationClass.FileRenameInformation);
        assertThat(new IoParameters.SetInformation(FileInformationClass.FileRenameInformationEx,
                new FileInformation.Rename("/b", true)).majorFunction()).isEqualTo(MajorFunction.SET_INFORMATION);
        assertThatThrownBy(() -> new IoParameters.SetInformation(FileInformationClass.FileEndOfFileInformation,
                new FileInformation.Rename("/b", false))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IoParameters.SetSecurity(null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aModeKeepsSetIdAndStickyBitsBesideThePermissions() {
        FileMode m = FileMode.of(0104755); // a regular file's st_mode: the type bits go
        assertThat(m.bits()).isEqualTo(04755);
        assertThat(m.has(FileMode.SET_USER_ID)).isTrue();
        assertThat(m.has(FileMode.STICKY)).isFalse();
        assertThat(m.permissions()).isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(FileMode.of(PosixFilePermissions.fromString("rw-r-----"))).isEqualTo(new FileMode(0640));
        assertThat(m).hasToString("4755");
        assertThatThrownBy(() -> new FileMode(010000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Principal(Principal.UNKNOWN_ID, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPostOperationCanReplaceTheSizeAProgramSees() {
        FilterManager manager = FilterManager.builder().verifier(true).build();
        try (manager) {
            Volume v = manager.mountVolume("mem", new MemoryBackend());
            TestFilter.load(manager, "plain", "370000", b -> b.onPostOperation(MajorFunction.QUERY_INFORMATION,
                    (data, objects, context, draining) -> {
                        if (data.result() instanceof IoResult.FileAttributes a) {
                            data.setResult(a.withSize(a.size() - 16)); // the stored form has a 16-byte header
                        }
                        return PostOpStatus.FINISHED_PROCESSING;
                    }));
            FileObject fo = new FileObject("/f");
            assertThat(v.perform(new CallbackData(fo, new IoParameters.Create(Set.of(IoParameters.Access.WRITE_DATA),
                    IoParameters.CreateDisposition.CREATE, Set.of(), IoParameters.FileKind.FILE, null, null))))
                    .isEqualTo(NtStatus.SUCCESS);
            v.perform(new CallbackData(fo, new IoParameters.Write(0, ByteBuffer.wrap(new byte[48]))));
            CallbackData q = new CallbackData(fo, new IoParameters.QueryInformation(FileInformationClass.FileAllInformation));
            assertThat(v.perform(q)).isEqualTo(NtStatus.SUCCESS);
            assertThat(q.result(IoResult.FileAttributes.class).size()).isEqualTo(32);
        }
    }

    /** A kind's POSIX type bits and back: every kind but a hard link (whose bits are a file's) is its own. */
    @Test
    void everyKindIsItsPosixTypeAndBack() {
        for (IoParameters.FileKind k : IoParameters.FileKind.values()) {
            IoParameters.FileKind back = IoParameters.FileKind.ofPosixMode(k.posixType() | 0644);
            assertThat(back).as("%s", k).isEqualTo(k == IoParameters.FileKind.HARD_LINK ? IoParameters.FileKind.FILE : k);
        }
        assertThat(IoParameters.FileKind.ofPosixMode(0)).isEqualTo(IoParameters.FileKind.FILE);
    }
}
