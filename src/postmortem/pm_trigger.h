/*
 * pm_trigger.h - trigger candidates: what fired just before each saturation.
 *
 * For every set of firings the logs give (a template, or one value of a
 * template's variable; firings less than 2 s apart make one burst) and
 * every episode start:
 *   recall     the share of episodes that began within the lead (twice the
 *              database sampling interval, at least 3 s) after a firing;
 *   precision  the share of its bursts that an episode start followed
 *              within the lead;
 *   symptom    the share of its bursts inside an episode (refusals and
 *              errors the saturation caused fire there, a trigger before);
 * score = recall x precision x (1 - symptom), halved for a template that
 * reads like an error (refusals follow a saturation), plus half the share of
 * episodes at whose start the value was the top holder brace conns
 * recorded. The holders alone are candidates too when no log names them.
 * Nothing here knows any template, user or program by name.
 */
#ifndef BRACE_PM_TRIGGER_H
#define BRACE_PM_TRIGGER_H

#include "postmortem/pm.h"
#include "postmortem/pm_logs.h"

/* Rank the candidates into n->cand (best first); l may be NULL (no logs). */
int pm_trigger_rank(struct pm_night *n, pm_logs *l);

#endif
