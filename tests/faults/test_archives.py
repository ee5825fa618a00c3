"""Archives with members that escape their folder are refused before anything is written;
corrupt archives name themselves; a good archive lands in place atomically."""
from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness.archives import ArchiveError, extract_archive, list_members


def _tar(path: Path, members, mode: str = "w:gz") -> Path:
    """members: (name, kind, data_or_target) with kind file/dir/symlink/hardlink/chr/fifo."""
    with tarfile.open(path, mode) as tf:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE,
                         "fifo": tarfile.FIFOTYPE}[kind]
            if kind in ("symlink", "hardlink"):
                info.linkname = data
            tf.addfile(info)
    return path


def _zip(path: Path, members) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, kind, data in members:
            if kind == "symlink":
                info = zipfile.ZipInfo(name)
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, data)
            else:
                zf.writestr(name, data)
    return path


def test_good_tar_and_zip_extract_completely(tmp_path):
    members = [("bundle/a.txt", "file", b"alpha"), ("bundle/sub", "dir", None),
               ("bundle/sub/b.bin", "file", b"\x00\x01"), ("bundle/link", "symlink", "a.txt")]
    dest = extract_archive(_tar(tmp_path / "ok.tgz", members), tmp_path / "out")
    assert (dest / "bundle/a.txt").read_bytes() == b"alpha"
    assert (dest / "bundle/sub/b.bin").read_bytes() == b"\x00\x01"
    assert (dest / "bundle/link").resolve() == (dest / "bundle/a.txt").resolve()
    zdest = extract_archive(_zip(tmp_path / "ok.zip", [("w/x.pth", "file", b"xyz")]), tmp_path / "zout")
    assert (zdest / "w/x.pth").read_bytes() == b"xyz"
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []  # no leftovers


def test_extraction_killed_earlier_leaves_no_temporary_after_the_next_one(tmp_path):
    """A SIGKILL mid-extraction leaves ``.<dest>.tmp-*``; the next extraction into that
    destination (holding its lock, so no other extraction is running) deletes it."""
    stale = tmp_path / ".out.tmp-k1ll3d"
    (stale / "bundle").mkdir(parents=True)
    (stale / "bundle" / "half.txt").write_bytes(b"al")
    other = tmp_path / ".outer.tmp-keep"  # another destination's temporary: not ours to touch
    other.mkdir()
    extract_archive(_tar(tmp_path / "ok.tgz", [("bundle/a.txt", "file", b"alpha")]), tmp_path / "out")
    assert not stale.exists() and other.is_dir()
    assert (tmp_path / "out" / "bundle" / "a.txt").read_bytes() == b"alpha"


@pytest.mark.parametrize("name", ["../evil.txt", "ok/../../evil.txt", "/tmp/evil.txt",
                                  "..\\evil.txt", "C:\\evil.txt", "a/./../../evil"])
@pytest.mark.parametrize("fmt", ["tgz", "tar", "zip"])
def test_member_escaping_its_folder_is_refused(tmp_path, name, fmt):
    members = [("fine.txt", "file", b"ok"), (name, "file", b"pwned")]
    path = tmp_path / f"bad.{fmt}"
    archive = _zip(path, members) if fmt == "zip" else _tar(path, members, "w:gz" if fmt == "tgz" else "w")
    with pytest.raises(ArchiveError) as err:
        extract_archive(archive, tmp_path / "out")
    assert str(archive) in str(err.value) and repr(name) in str(err.value)
    assert not (tmp_path / "out").exists()  # nothing written, not even the good member
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


@pytest.mark.parametrize("kind,target", [("symlink", "/etc/passwd"), ("symlink", "../../etc"),
                                         ("symlink", "sub/../../../x"), ("hardlink", "../outside"),
                                         ("hardlink", "/etc/passwd")])
def test_link_pointing_outside_is_refused(tmp_path, kind, target):
    archive = _tar(tmp_path / "links.tar.gz", [("d/link", kind, target)])
    with pytest.raises(ArchiveError, match=r"'d/link' points to .*outside the extraction folder"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_symlink_pointing_outside_is_refused(tmp_path):
    archive = _zip(tmp_path / "l.zip", [("cfg", "symlink", "../../../etc/shadow")])
    with pytest.raises(ArchiveError, match=r"l\.zip: symlink member 'cfg' points to"):
        list_members(archive)


def test_write_through_an_inside_symlink_cannot_escape(tmp_path):
    # 'd' -> '.' is inside; 'd/../x' is refused by name; writing via 'd/f' stays inside.
    archive = _tar(tmp_path / "via.tgz", [("d", "symlink", "."), ("d/f.txt", "file", b"in")])
    dest = extract_archive(archive, tmp_path / "out")
    assert (dest / "f.txt").read_bytes() == b"in"


def test_chain_of_inside_links_that_climbs_out_is_refused(tmp_path):
    # Each link looks harmless on its own ('a/b/up' -> '..' is 'a'; 'a/b/c' -> 'up/../..' is
    # 'a' by string arithmetic), but the file system resolves 'a/b/c' to the parent of the
    # extraction folder.
    archive = _tar(tmp_path / "chain.tgz", [("a/b", "dir", None), ("a/b/up", "symlink", ".."),
                                            ("a/b/c", "symlink", "up/../..")])
    with pytest.raises(ArchiveError, match=r"chain\.tgz: symlink member 'a/b/c' .*resolves outside"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind,what", [("chr", "device file"), ("fifo", "FIFO")])
def test_special_members_are_refused(tmp_path, kind, what):
    archive = _tar(tmp_path / "dev.tar", [("dev/null0", kind, None)], "w")
    with pytest.raises(ArchiveError, match=f"'dev/null0' is a {what}"):
        extract_archive(archive, tmp_path / "out")


def test_truncated_and_non_archives_name_the_file(tmp_path):
    good = _tar(tmp_path / "g.tgz", [(f"f{i}.bin", "file", bytes(range(256)) * 200) for i in range(5)])
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ArchiveError) as err:
        extract_archive(cut, tmp_path / "out")
    assert "cut.tgz" in str(err.value) and ("corrupt" in str(err.value) or "truncated" in str(err.value)
                                             or "not a readable" in str(err.value))
    assert not (tmp_path / "out").exists()
    junk = tmp_path / "weights.zip"
    junk.write_bytes(b"this is not an archive at all")
    with pytest.raises(ArchiveError, match=r"weights\.zip: not a readable"):
        extract_archive(junk, tmp_path / "out2")
    with pytest.raises(ArchiveError, match=r"archive not found: .*missing\.tar"):
        extract_archive(tmp_path / "missing.tar", tmp_path / "out3")


def test_zip_with_bad_crc_names_the_member(tmp_path):
    path = _zip(tmp_path / "crc.zip", [("model/w.bin", "file", b"A" * 4000)])
    data = bytearray(path.read_bytes())
    offset = data.index(b"A" * 100)  # stored uncompressed? then flip a payload byte
    data[offset + 10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=r"crc\.zip: member 'model/w\.bin' is corrupt"):
        extract_archive(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_existing_destination_and_size_cap(tmp_path):
    archive = _tar(tmp_path / "a.tgz", [("big.bin", "file", b"0" * 5000)])
    (tmp_path / "there").mkdir()
    with pytest.raises(ArchiveError, match="already exists"):
        extract_archive(archive, tmp_path / "there")
    with pytest.raises(ArchiveError, match=r"a\.tgz: members add up to 5000 bytes .* allowed 1000"):
        extract_archive(archive, tmp_path / "out", max_bytes=1000)
