/*
 * pm_impact.h - impact figures and the standard moments, computed from what
 * was recorded, each with the reason it was placed where it is:
 *   began      the first saturated database sample or the first 5xx
 *              response, whichever came first;
 *   detected   the first warning-or-worse journal event from then on (the
 *              first alert);
 *   mitigated  a journal entry of kind "mitigated" when a person recorded
 *              one, else the end of the last 5xx (or of the last saturation);
 *   resolved   a journal entry of kind "resolved", else when both the 5xx
 *              and the saturation had ended for good (never before mitigated).
 */
#ifndef BRACE_PM_IMPACT_H
#define BRACE_PM_IMPACT_H

#include "postmortem/pm.h"

/* Fill n's moments (after pm_series_build and the logs' traffic). */
void pm_impact_compute(struct pm_night *n);

#endif
