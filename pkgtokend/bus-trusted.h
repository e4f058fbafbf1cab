/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Trusted publishers managed by a package's maintainer through a registry: bus-registry.c
 * proves the account (a token that may govern, or a password) and hands it over here. */

#include <systemd/sd-bus.h>

#include "manager.h"
#include "trusted-publishers.h"

/* AddOwnTrustedPublisher(proof, package, issuer, claims, options) -> id: a maintainer with 2FA
 * and a current code. */
int bus_add_own_trusted_publisher(Manager *m, sd_bus_message *msg, const TrustedGovernor *g, sd_bus_error *error);
/* ListOwnTrustedPublishers(proof, package): a maintainer. */
int bus_list_own_trusted_publishers(Manager *m, sd_bus_message *msg, const TrustedGovernor *g, sd_bus_error *error);
/* RemoveOwnTrustedPublisher(proof, id): a maintainer of its package with 2FA and a current code. */
int bus_remove_own_trusted_publisher(Manager *m, sd_bus_message *msg, const TrustedGovernor *g,
                                     sd_bus_error *error);
