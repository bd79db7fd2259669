/* A CLAP plugin that segfaults mid-stream, for streamlib's crash-isolation tests
 * (tests/test_clap_isolation.py), built by the test suite with gcc against the CLAP
 * headers of Debian's dpf-source.
 *
 * "org.streamlib.test.crash": stereo in, stereo out, out = in. Loading, activating
 * and the first CRASH_AFTER blocks work; the next process() call writes through a
 * null pointer: a real SIGSEGV, as from a buggy plugin, not a raise() or an abort().
 * The count is per instance, so a fresh process crashes after CRASH_AFTER blocks again.
 * Build with -DCRASH_AFTER=N to change it (default 20).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "plugin-factory.h"
#include "ext/audio-ports.h"

#ifndef CRASH_AFTER
#define CRASH_AFTER 20
#endif

typedef struct {
   clap_plugin_t plugin;
   uint64_t blocks;
} crash_t;

static const char *features[] = {"audio-effect", "utility", "stereo", NULL};
static const clap_plugin_descriptor_t descriptor = {
   CLAP_VERSION_INIT, "org.streamlib.test.crash", "Test Crash", "streamlib", "", "", "",
   "1.0.0", "Passes audio through, then segfaults", features};

/* Volatile, so the compiler can neither see that it is null nor turn the write into a
 * trap instruction (SIGILL): the store really reaches address 0. */
static int *volatile nowhere = NULL;

static bool crash_init(const clap_plugin_t *p) { (void)p; return true; }
static void crash_destroy(const clap_plugin_t *p) { free(p->plugin_data); }
static bool crash_activate(const clap_plugin_t *p, double rate, uint32_t min, uint32_t max) {
   (void)rate; (void)min; (void)max;
   crash_t *c = p->plugin_data;
   c->blocks = 0;
   return true;
}
static void crash_deactivate(const clap_plugin_t *p) { (void)p; }
static bool crash_start(const clap_plugin_t *p) { (void)p; return true; }
static void crash_stop(const clap_plugin_t *p) { (void)p; }
static void crash_reset(const clap_plugin_t *p) { (void)p; }

static clap_process_status crash_process(const clap_plugin_t *p, const clap_process_t *proc) {
   crash_t *c = p->plugin_data;
   if (c->blocks >= CRASH_AFTER) *nowhere = 1; /* the bug */
   c->blocks += 1;
   if (proc->audio_inputs_count < 1 || proc->audio_outputs_count < 1) return CLAP_PROCESS_ERROR;
   for (uint32_t ch = 0; ch < 2; ++ch) {
      const float *in = proc->audio_inputs[0].data32[ch];
      float *out = proc->audio_outputs[0].data32[ch];
      memcpy(out, in, proc->frames_count * sizeof *out);
   }
   return CLAP_PROCESS_CONTINUE;
}

/* audio ports: one stereo main port each way */
static uint32_t ports_count(const clap_plugin_t *p, bool is_input) { (void)p; (void)is_input; return 1; }
static bool ports_get(const clap_plugin_t *p, uint32_t i, bool is_input, clap_audio_port_info_t *info) {
   (void)p;
   if (i != 0) return false;
   memset(info, 0, sizeof *info);
   info->id = 0;
   strcpy(info->name, is_input ? "In" : "Out");
   info->flags = CLAP_AUDIO_PORT_IS_MAIN;
   info->channel_count = 2;
   info->port_type = CLAP_PORT_STEREO;
   info->in_place_pair = CLAP_INVALID_ID;
   return true;
}
static const clap_plugin_audio_ports_t ports = {ports_count, ports_get};

static const void *crash_extension(const clap_plugin_t *p, const char *id) {
   (void)p;
   return strcmp(id, CLAP_EXT_AUDIO_PORTS) == 0 ? &ports : NULL;
}
static void crash_on_main_thread(const clap_plugin_t *p) { (void)p; }

static uint32_t factory_count(const clap_plugin_factory_t *f) { (void)f; return 1; }
static const clap_plugin_descriptor_t *factory_descriptor(const clap_plugin_factory_t *f, uint32_t i) {
   (void)f; return i == 0 ? &descriptor : NULL;
}
static const clap_plugin_t *factory_create(const clap_plugin_factory_t *f, const clap_host_t *host,
                                           const char *id) {
   (void)f; (void)host;
   if (strcmp(id, descriptor.id) != 0) return NULL;
   crash_t *c = calloc(1, sizeof *c);
   c->plugin = (clap_plugin_t){&descriptor, c, crash_init, crash_destroy, crash_activate,
                               crash_deactivate, crash_start, crash_stop, crash_reset,
                               crash_process, crash_extension, crash_on_main_thread};
   return &c->plugin;
}
static const clap_plugin_factory_t factory = {factory_count, factory_descriptor, factory_create};

static bool entry_init(const char *path) { (void)path; return true; }
static void entry_deinit(void) {}
static const void *entry_factory(const char *id) {
   return strcmp(id, CLAP_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL;
}
CLAP_EXPORT const clap_plugin_entry_t clap_entry = {CLAP_VERSION_INIT, entry_init, entry_deinit,
                                                    entry_factory};
