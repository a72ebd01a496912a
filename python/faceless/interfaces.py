"""A nipype interface over faceless.deface, so de-facing drops into existing
nipype workflows:

    from nipype import Node
    from faceless.interfaces import Deface
    deface = Node(Deface(mode="noise"), name="deface")
    workflow.connect(anat_source, "t1w", deface, "in_file")

Outputs (in the node's working directory): out_file, the de-faced image;
mask_file, the mask (uint8, 1 = changed); report_file, the JSON report.
"""
import os

from nipype.interfaces.base import (BaseInterface, BaseInterfaceInputSpec, Directory, File, TraitedSpec, isdefined,
                                    traits)

from ._deface import deface

_EXTS = (".nii.gz", ".nii", ".hdr.gz", ".hdr", ".img.gz", ".img")


class DefaceInputSpec(BaseInterfaceInputSpec):
    in_file = File(exists=True, mandatory=True, desc="head image (NIfTI)")
    out_file = File(desc="de-faced image (default: in_file's name + _defaced, in the working directory)")
    mode = traits.Enum("zero", "noise", usedefault=True, desc="zero: background; noise: the subject's own tissue")
    seed = traits.Int(1, usedefault=True, desc="seed of the noise mode")
    brain_margin = traits.Float(desc="safety margin around the brain guard, mm (0 to 100; default 5)")
    min_trust = traits.Float(desc="registration trust needed to write (0 to 1)")
    template = Directory(exists=True, desc="template set folder (default: the embedded Colin27 set)")
    scrub_nifti_text = traits.Bool(False, usedefault=True, desc="clear the NIfTI text fields and extensions")
    require_clean_headers = traits.Bool(False, usedefault=True, desc="refuse when the headers hold identifying text")
    force = traits.Bool(False, usedefault=True, desc="write even when the registration is not trusted")
    threads = traits.Int(0, usedefault=True, desc="threads (0: all; the result never depends on it)")


class DefaceOutputSpec(TraitedSpec):
    out_file = File(exists=True, desc="de-faced image")
    mask_file = File(exists=True, desc="the mask on in_file's grid (1 = changed)")
    report_file = File(exists=True, desc="JSON report (docs/report.md)")


def _stem(path):
    name = os.path.basename(path)
    for ext in _EXTS:
        if name.endswith(ext):
            return name[: -len(ext)], ext
    return name, ""


class Deface(BaseInterface):
    """De-faces one head image with faceless (faceless.deface)."""

    input_spec = DefaceInputSpec
    output_spec = DefaceOutputSpec

    def _names(self):
        stem, ext = _stem(self.inputs.in_file)
        out = self.inputs.out_file if isdefined(self.inputs.out_file) else stem + "_defaced" + (ext or ".nii.gz")
        return (os.path.abspath(out), os.path.abspath(stem + "_mask.nii.gz"),
                os.path.abspath(stem + "_defaced.json"))

    def _run_interface(self, runtime):
        out, mask, report = self._names()
        options = {"mode": self.inputs.mode, "seed": self.inputs.seed, "mask_out": mask, "report_out": report,
                   "threads": self.inputs.threads, "overwrite": True}
        for name in ("brain_margin", "min_trust", "template"):
            value = getattr(self.inputs, name)
            if isdefined(value):
                options[name] = value
        for name in ("scrub_nifti_text", "require_clean_headers", "force"):
            if getattr(self.inputs, name):
                options[name] = True
        deface(self.inputs.in_file, out, **options)
        return runtime

    def _list_outputs(self):
        out, mask, report = self._names()
        return {"out_file": out, "mask_file": mask, "report_file": report}
