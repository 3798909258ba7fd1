package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The node table: one node per source inode, its names kept through unlinks and renames, gone when forgotten. */
class InodesTest {
    @Test
    void hardLinksAreOneNodeAndAnUnlinkedNameLeavesTheOther() {
        Inodes t = new Inodes();
        Inodes.Node a = t.lookedUp("/a", 10);
        Inodes.Node b = t.lookedUp("/d/b", 10);
        assertThat(b).isSameAs(a);
        assertThat(t.path(a.id)).isEqualTo("/d/b");
        t.unlinked("/d/b");
        assertThat(t.path(a.id)).isEqualTo("/a");
        t.unlinked("/a");
        assertThat(t.path(a.id)).as("the only name stays until the kernel forgets the node").isEqualTo("/a");
        t.forget(a.id, 2);
        assertThat(t.path(a.id)).isNull();
        assertThat(t.lookedUp("/a", 10).id).as("ids are not reused").isNotEqualTo(a.id);
    }

    @Test
    void aRenameOfADirectoryMovesEveryNameBelowItAndNoOtherWithTheSamePrefix() {
        Inodes t = new Inodes();
        Inodes.Node dir = t.lookedUp("/d", 1);
        Inodes.Node file = t.lookedUp("/d/e/f", 2);
        Inodes.Node sibling = t.lookedUp("/d2/g", 3);
        Inodes.Node replaced = t.lookedUp("/x", 4);
        t.lookedUp("/y", 4); // a second name: the rename over /x takes only that one
        t.renamed("/d", "/x");
        assertThat(t.path(dir.id)).isEqualTo("/x");
        assertThat(t.path(file.id)).isEqualTo("/x/e/f");
        assertThat(t.path(sibling.id)).isEqualTo("/d2/g");
        assertThat(t.path(replaced.id)).isEqualTo("/y");
        t.renamed("/x/e/f", "/h");
        assertThat(t.path(file.id)).isEqualTo("/h");
        assertThat(t.size()).isEqualTo(5); // the root and four nodes
    }

    /** A new file given a deleted one's inode number while the kernel still holds the old node gets a node of its own. */
    @Test
    void aRecycledInodeNumberIsAnotherNodeAndAHardLinkIsTheSame() {
        Inodes t = new Inodes();
        Inodes.Node old = t.lookedUp("/gone", 7, 100);
        Inodes.Node fresh = t.lookedUp("/new", 7, 200);
        assertThat(fresh.id).isNotEqualTo(old.id);
        assertThat(t.path(old.id)).isEqualTo("/gone");
        assertThat(t.lookedUp("/link", 7, 200)).isSameAs(fresh);
    }

    /**
     * A directory removed and another made that the source gives the same inode number (same type, so no identity
     * tells them apart) while the kernel still holds the removed one's node: the new one gets a node of its own.
     */
    @Test
    void anUnlinkedOnlyNameFreesItsInodeNumberForTheNextFile() {
        Inodes t = new Inodes();
        Inodes.Node removed = t.lookedUp("/d1", 9, 0040001);
        t.unlinked("/d1");
        Inodes.Node made = t.lookedUp("/d2", 9, 0040001);
        assertThat(made.id).isNotEqualTo(removed.id);
        assertThat(t.path(removed.id)).as("the removed node keeps its last name for its open handles").isEqualTo("/d1");
        assertThat(t.nodeOf("/d1")).isZero();
        assertThat(t.nodeOf("/d2")).isEqualTo(made.id);
    }
}
