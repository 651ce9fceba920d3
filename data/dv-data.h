/* dv-data.h — the whole data library in one include.
 *
 * For: app/ and ui/ code that uses datasets, presentation and loaders.  Not for: files inside
 * data/, which include only what they use.  No GTK and no Cairo anywhere below.
 */
#pragma once

#include "dv-rng.h"
#include "dv-dataset.h"
#include "dv-embedded.h"
#include "dv-augment.h"
#include "dv-noise.h"
#include "dv-sequence.h"
#include "dv-presentation.h"
#include "dv-loader.h"
