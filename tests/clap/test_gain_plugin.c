/* A tiny CLAP plugin for streamlib's host tests, built by the test suite with gcc
 * against the CLAP headers of Debian's dpf-source.
 *
 * "org.streamlib.test.gain": stereo in, stereo out, out = in * Gain.
 * Parameters: 0 Gain (0..4), 1 Restart (an event asks the host to restart),
 * 2 Activations and 3 Main-thread callbacks (read-only counters).
 * Offers clap.params, clap.audio-ports and clap.state (the gain, as 12 bytes).
 * Uses the host's clap.log and clap.thread-check, and request_restart/request_callback.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "plugin-factory.h"
#include "ext/params.h"
#include "ext/audio-ports.h"
#include "ext/state.h"
#include "ext/thread-check.h"

typedef struct clap_host_log {
   void (*log)(const clap_host_t *host, int32_t severity, const char *msg);
} clap_host_log_t;

typedef struct {
   clap_plugin_t plugin;
   const clap_host_t *host;
   double gain;
   double activations;
   double callbacks;
   bool main_thread_ok;
} gain_t;

static const char *features[] = {"audio-effect", "utility", "stereo", NULL};
static const clap_plugin_descriptor_t descriptor = {
   CLAP_VERSION_INIT, "org.streamlib.test.gain", "Test Gain", "streamlib", "", "", "",
   "1.0.0", "A gain with state, for tests", features};

static void host_log(gain_t *g, const char *msg) {
   const clap_host_log_t *log = g->host->get_extension(g->host, "clap.log");
   if (log) log->log(g->host, 1, msg);
}

static bool gain_init(const clap_plugin_t *p) {
   gain_t *g = p->plugin_data;
   const clap_host_thread_check_t *tc = g->host->get_extension(g->host, CLAP_EXT_THREAD_CHECK);
   g->main_thread_ok = tc && tc->is_main_thread(g->host);
   return true;
}
static void gain_destroy(const clap_plugin_t *p) { free(p->plugin_data); }
static bool gain_activate(const clap_plugin_t *p, double rate, uint32_t min, uint32_t max) {
   gain_t *g = p->plugin_data;
   char msg[128];
   g->activations += 1;
   snprintf(msg, sizeof msg, "activated at %g Hz, blocks %u..%u", rate, min, max);
   host_log(g, msg);
   return true;
}
static void gain_deactivate(const clap_plugin_t *p) { (void)p; }
static bool gain_start(const clap_plugin_t *p) { (void)p; return true; }
static void gain_stop(const clap_plugin_t *p) { (void)p; }
static void gain_reset(const clap_plugin_t *p) { (void)p; }

static void apply_events(gain_t *g, const clap_input_events_t *in) {
   uint32_t n = in->size(in);
   for (uint32_t i = 0; i < n; ++i) {
      const clap_event_header_t *h = in->get(in, i);
      if (h->space_id != CLAP_CORE_EVENT_SPACE_ID || h->type != CLAP_EVENT_PARAM_VALUE) continue;
      const clap_event_param_value_t *ev = (const clap_event_param_value_t *)h;
      if (h->size != sizeof(clap_event_param_value_t)) continue;
      if (ev->param_id == 0) {
         g->gain = ev->value;
         g->host->request_callback(g->host);
      } else if (ev->param_id == 1) {
         g->host->request_restart(g->host);
      }
   }
}

static clap_process_status gain_process(const clap_plugin_t *p, const clap_process_t *proc) {
   gain_t *g = p->plugin_data;
   apply_events(g, proc->in_events);
   if (proc->audio_inputs_count < 1 || proc->audio_outputs_count < 1) return CLAP_PROCESS_ERROR;
   for (uint32_t c = 0; c < 2; ++c) {
      const float *in = proc->audio_inputs[0].data32[c];
      float *out = proc->audio_outputs[0].data32[c];
      for (uint32_t i = 0; i < proc->frames_count; ++i) out[i] = in[i] * (float)g->gain;
   }
   return CLAP_PROCESS_CONTINUE;
}

/* params */
static uint32_t params_count(const clap_plugin_t *p) { (void)p; return 4; }
static bool params_info(const clap_plugin_t *p, uint32_t index, clap_param_info_t *info) {
   (void)p;
   static const char *names[] = {"Gain", "Restart", "Activations", "Callbacks"};
   if (index >= 4) return false;
   memset(info, 0, sizeof *info);
   info->id = index;
   info->flags = index == 0 ? CLAP_PARAM_IS_AUTOMATABLE
               : index == 1 ? CLAP_PARAM_IS_STEPPED : CLAP_PARAM_IS_READONLY;
   snprintf(info->name, sizeof info->name, "%s", names[index]);
   snprintf(info->module, sizeof info->module, "test");
   info->min_value = 0;
   info->max_value = index == 0 ? 4 : index == 1 ? 1 : 1e9;
   info->default_value = index == 0 ? 1 : 0;
   return true;
}
static bool params_value(const clap_plugin_t *p, clap_id id, double *value) {
   gain_t *g = p->plugin_data;
   switch (id) {
   case 0: *value = g->gain; return true;
   case 1: *value = 0; return true;
   case 2: *value = g->activations; return true;
   case 3: *value = g->callbacks; return true;
   default: return false;
   }
}
static bool params_to_text(const clap_plugin_t *p, clap_id id, double v, char *out, uint32_t n) {
   (void)p; (void)id; snprintf(out, n, "%g", v); return true;
}
static bool params_from_text(const clap_plugin_t *p, clap_id id, const char *t, double *v) {
   (void)p; (void)id; *v = atof(t); return true;
}
static void params_flush(const clap_plugin_t *p, const clap_input_events_t *in,
                         const clap_output_events_t *out) {
   (void)out; apply_events(p->plugin_data, in);
}
static const clap_plugin_params_t params = {params_count, params_info, params_value,
                                            params_to_text, params_from_text, params_flush};

/* audio ports: one stereo main port each way */
static uint32_t ports_count(const clap_plugin_t *p, bool is_input) { (void)p; (void)is_input; return 1; }
static bool ports_get(const clap_plugin_t *p, uint32_t i, bool is_input, clap_audio_port_info_t *info) {
   (void)p;
   if (i != 0) return false;
   info->id = 0;
   snprintf(info->name, sizeof info->name, "%s", is_input ? "In" : "Out");
   info->flags = CLAP_AUDIO_PORT_IS_MAIN;
   info->channel_count = 2;
   info->port_type = CLAP_PORT_STEREO;
   info->in_place_pair = CLAP_INVALID_ID;
   return true;
}
static const clap_plugin_audio_ports_t ports = {ports_count, ports_get};

/* state: "SLGN" + the gain as a double, written and read in small pieces */
static bool state_save(const clap_plugin_t *p, const clap_ostream_t *s) {
   gain_t *g = p->plugin_data;
   unsigned char buf[12];
   memcpy(buf, "SLGN", 4);
   memcpy(buf + 4, &g->gain, 8);
   for (int off = 0; off < 12; off += 4)
      if (s->write(s, buf + off, 4) != 4) return false;
   return true;
}
static bool state_load(const clap_plugin_t *p, const clap_istream_t *s) {
   gain_t *g = p->plugin_data;
   unsigned char buf[12];
   int64_t got = 0;
   while (got < 12) {
      int64_t n = s->read(s, buf + got, (uint64_t)(12 - got));
      if (n <= 0) return false;
      got += n;
   }
   if (memcmp(buf, "SLGN", 4) != 0) return false;
   memcpy(&g->gain, buf + 4, 8);
   return true;
}
static const clap_plugin_state_t state = {state_save, state_load};

static const void *gain_extension(const clap_plugin_t *p, const char *id) {
   (void)p;
   if (!strcmp(id, CLAP_EXT_PARAMS)) return &params;
   if (!strcmp(id, CLAP_EXT_AUDIO_PORTS)) return &ports;
   if (!strcmp(id, CLAP_EXT_STATE)) return &state;
   return NULL;
}
static void gain_on_main_thread(const clap_plugin_t *p) {
   gain_t *g = p->plugin_data;
   g->callbacks += 1;
}

static uint32_t factory_count(const clap_plugin_factory_t *f) { (void)f; return 1; }
static const clap_plugin_descriptor_t *factory_descriptor(const clap_plugin_factory_t *f, uint32_t i) {
   (void)f; return i == 0 ? &descriptor : NULL;
}
static const clap_plugin_t *factory_create(const clap_plugin_factory_t *f, const clap_host_t *host,
                                           const char *id) {
   (void)f;
   if (strcmp(id, descriptor.id) != 0) return NULL;
   gain_t *g = calloc(1, sizeof *g);
   g->host = host;
   g->gain = 1.0;
   g->plugin = (clap_plugin_t){&descriptor, g, gain_init, gain_destroy, gain_activate,
                               gain_deactivate, gain_start, gain_stop, gain_reset, gain_process,
                               gain_extension, gain_on_main_thread};
   return &g->plugin;
}
static const clap_plugin_factory_t factory = {factory_count, factory_descriptor, factory_create};

static bool entry_init(const char *path) { (void)path; return true; }
static void entry_deinit(void) {}
static const void *entry_factory(const char *id) {
   return strcmp(id, CLAP_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL;
}
CLAP_EXPORT const clap_plugin_entry_t clap_entry = {CLAP_VERSION_INIT, entry_init, entry_deinit,
                                                    entry_factory};
