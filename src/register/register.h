/* Affine registration of a template head to a subject head (issue 3).
 *
 * Contract (ARCHITECTURE.md): takes the subject volume and the template set,
 * returns an affine (template world -> subject world, RAS mm) and a trust
 * measure. Nothing else: no files, no printing, no resampling of the subject.
 *
 * Thread safety: register_affine may run in several threads at once with
 * different contexts; it uses ctx's thread count for OpenMP, and its result
 * is bit-identical for any thread count. */
#ifndef FACELESS_REGISTER_H
#define FACELESS_REGISTER_H

#include "core/volume.h"
#include "templates/template_set.h"

typedef struct register_options {
    int ignore_orientation; /* 1: also search the 48 axis-aligned orientations (mirrors too) */
    double min_trust;       /* below this the result is refused (0..1); a veto
                               (register_result.veto) refuses it whatever this says */
    int correlation_ratio;  /* 1: correlation ratio instead of mutual information
                               (the measured alternative; reg_cost.c says why MI) */
} register_options;

void register_options_default(register_options *opts);

typedef struct register_result {
    double tpl2subj[4][4];   /* template world (RAS mm) -> subject world (RAS mm) */
    double trust;            /* 0..1, higher is better; compared with min_trust */
    double final_cost;       /* cost at the optimum (documented in the report) */
    double head_overlap;     /* Dice of template head mask vs subject head mask */
    int trusted;             /* trust >= min_trust and no veto */
    int veto;                /* 1: a check that no min_trust lowers failed (not a
                                head, not one head, no face in view); reason says which */
    double seconds;          /* wall time of the registration */
    /* Added fields (issue 3): */
    double ambiguity_mm;     /* largest RMS distance (template points) to another
                                start whose cost came within REGISTER_AMBIGUITY_COST
                                of the best one; 0 when none did */
    double coverage;         /* share of the subject's head samples inside the template */
    double template_coverage; /* share of the template head inside the subject's field of view */
    double beside;           /* share of the subject's foreground outside the template but not below it */
    double entropy_bits;     /* intensity entropy inside the subject's head mask (bits) */
    double inconsistency_mm; /* how far the fit moves without the outer 15 mm of the field of view */
    int starts;              /* global-search starts refined */
    const char *cost_name;   /* "correlation ratio" */
    const char *reason;      /* the failed check (static string), or "trust below the
                                minimum"; "" when none failed. Set also when trusted
                                because min_trust is below the lowered trust */
} register_result;

/* Registers tpl's head to frame 0 of subject. Returns FACELESS_OK with *out set
 * whenever a result was computed, trusted or not (the caller decides, so that
 * --force can still write); an error status only when it could not run. */
faceless_status register_affine(faceless_ctx *ctx, const faceless_volume *subject,
                                const template_set *tpl, const register_options *opts,
                                register_result *out);

/* Distance between two template->subject affines, in mm: the RMS over
 * template points of |a p - b p| for three regions (brain: the brain mask
 * voxels; face: boxes at the nose, eyes and chin; ears: boxes at both ears,
 * MNI coordinates), region_rms[0..2] when not NULL. Returns the largest of the
 * three. The regions follow tpl's brain mask and MNI space. */
double register_distance_mm(const template_set *tpl, const double a[4][4], const double b[4][4],
                            double region_rms[3]);

#endif
