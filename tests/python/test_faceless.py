"""pytest tests of the faceless Python package (python/faceless) against an
installed prefix: run by tests/integration/python_package.sh, which sets
PYTHONPATH as README says and FACELESS_CLI to the installed binary."""
import hashlib
import os
import subprocess

import nibabel as nib
import numpy as np
import pytest

import faceless

CH2 = "/usr/share/mricron/templates/ch2.nii.gz"
CLI = os.environ.get("FACELESS_CLI", "faceless")

pytestmark = pytest.mark.skipif(not os.path.exists(CH2), reason="Debian's mricron-data (Colin27) missing")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """The CLI's outputs on Colin27, the reference."""
    d = tmp_path_factory.mktemp("cli")
    out = {}
    for mode in ("zero", "noise"):
        img, mask = d / f"{mode}.nii.gz", d / f"{mode}_mask.nii.gz"
        subprocess.run([CLI, "deface", CH2, "-o", str(img), "--mode", mode, "--seed", "4", "--mask-out", str(mask)],
                       check=True)
        out[mode] = (img, mask)
    return out


def test_version():
    assert faceless.version() == faceless.__version__ and faceless.version().count(".") == 2


@pytest.mark.parametrize("mode", ["zero", "noise"])
def test_deface_file_same_bytes_as_cli(tmp_path, cli, mode):
    out, mask = tmp_path / "out.nii.gz", tmp_path / "mask.nii.gz"
    report = faceless.deface(CH2, out, mode=mode, seed=4, mask_out=str(mask))
    assert report["verdict"] == "defaced"
    assert report["parameters"]["mode"] == mode
    assert len(report["parameters"]["fingerprint"]) == 64
    assert sha(out) == sha(cli[mode][0])
    assert sha(mask) == sha(cli[mode][1])


@pytest.mark.parametrize("mode", ["zero", "noise"])
def test_deface_array_same_voxels_as_cli(cli, mode):
    img = nib.load(CH2)
    data = np.asanyarray(img.dataobj)  # the stored values, the file's dtype
    defaced, mask, report = faceless.deface_array(data, img.affine, mode=mode, seed=4)
    ref = np.asanyarray(nib.load(str(cli[mode][0])).dataobj)
    ref_mask = np.asanyarray(nib.load(str(cli[mode][1])).dataobj)
    assert defaced.dtype == data.dtype and defaced.shape == data.shape
    assert np.array_equal(defaced, ref)
    assert mask.dtype == np.uint8 and np.array_equal(mask, ref_mask)
    assert report["verdict"] == "defaced"
    assert report["images"][0]["voxels_changed"] == int((defaced != data).sum())
    # the input array is not changed
    assert np.array_equal(data, np.asanyarray(img.dataobj))


def test_deface_array_float_copy_matches_on_the_brain():
    """float32 in (get_fdata): float32 out, and every voxel outside the mask unchanged."""
    img = nib.load(CH2)
    data = img.get_fdata(dtype=np.float32)
    defaced, mask, _ = faceless.deface_array(data, img.affine)
    assert defaced.dtype == np.float32
    assert np.array_equal(defaced[mask == 0], data[mask == 0])
    assert mask.sum() > 100000


def test_options_are_the_cli_parser():
    with pytest.raises(faceless.UsageError) as e:
        faceless.deface(CH2, "/nonexistent/out.nii.gz", brain_margin=101)
    assert "brain-margin 101: a number of mm, 0 to 100" in str(e.value)
    assert e.value.status == 2
    with pytest.raises(faceless.UsageError):
        faceless.deface(CH2, "/nonexistent/out.nii.gz", no_such_option=1)


def test_errors_by_status(tmp_path):
    with pytest.raises(faceless.InputError) as e:
        faceless.deface(tmp_path / "missing.nii.gz", tmp_path / "out.nii.gz")
    assert "missing.nii.gz" in str(e.value) and e.value.status == 3
    with pytest.raises(faceless.UsageError):
        faceless.deface_array(np.zeros((4, 4)), np.eye(4))
    img = nib.load(CH2)
    with pytest.raises(faceless.UsageError) as e:
        faceless.deface_array(np.asanyarray(img.dataobj), img.affine, mask_out=str(tmp_path / "m.nii.gz"))
    assert "mask-out" in str(e.value)


def test_progress_and_cancel(tmp_path):
    stages = []
    out = tmp_path / "out.nii.gz"
    with pytest.raises(faceless.CancelledError):
        faceless.deface(CH2, out, progress=lambda stage, frac: stages.append((stage, frac)) or stage == "register")
    assert [s for s, _ in stages][:4] == ["read", "header_audit", "template", "register"]
    assert not out.exists()


def test_nipype_workflow(tmp_path, cli):
    pe = pytest.importorskip("nipype.pipeline.engine")
    from faceless.interfaces import Deface

    node = pe.Node(Deface(in_file=CH2, mode="noise", seed=4), name="deface")
    wf = pe.Workflow(name="wf", base_dir=str(tmp_path))
    wf.add_nodes([node])
    wf.run()
    node_dir = tmp_path / "wf" / "deface"
    assert sha(node_dir / "ch2_defaced.nii.gz") == sha(cli["noise"][0])
    assert sha(node_dir / "ch2_mask.nii.gz") == sha(cli["noise"][1])
    assert (node_dir / "ch2_defaced.json").exists()
