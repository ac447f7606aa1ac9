/* SPDX-License-Identifier: MIT */
/* \summary: umbrella header of the atproof protocol core */
#ifndef ATPROOF_ATPROOF_H
#define ATPROOF_ATPROOF_H

#include "atproof/alloc.h"
#include "atproof/capture.h"
#include "atproof/cmd.h"
#include "atproof/cmdline.h"
#include "atproof/cursor.h"
#include "atproof/err.h"
#include "atproof/framer.h"
#include "atproof/profile.h"
#include "atproof/shape.h"
#include "atproof/validate.h"

#define ATPROOF_VERSION "0.1.0"

#endif
