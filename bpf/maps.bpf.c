// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one definition of every shared map and load-time constant (shared.bpf.h). */
#define RSTW_DEFINE_SHARED
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
