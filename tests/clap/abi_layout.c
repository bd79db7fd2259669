/* Prints the size of each CLAP struct and the offset of each field, one per line
 * ("struct size N" / "struct.field offset N"), for test_clap_host's ABI check. */
#include <stddef.h>
#include <stdio.h>

#include "entry.h"
#include "plugin-factory.h"
#include "ext/params.h"
#include "ext/audio-ports.h"
#include "ext/state.h"
#include "ext/latency.h"
#include "ext/thread-check.h"

#define SIZE(T, name) printf("%s size %zu\n", name, sizeof(T))
#define OFF(T, name, f) printf("%s.%s offset %zu\n", name, #f, offsetof(T, f))

int main(void) {
   SIZE(clap_plugin_entry_t, "PluginEntry");
   OFF(clap_plugin_entry_t, "PluginEntry", get_factory);
   SIZE(clap_plugin_descriptor_t, "PluginDescriptor");
   OFF(clap_plugin_descriptor_t, "PluginDescriptor", features);
   SIZE(clap_plugin_factory_t, "PluginFactory");
   SIZE(clap_host_t, "HostStruct");
   OFF(clap_host_t, "HostStruct", get_extension);
   OFF(clap_host_t, "HostStruct", request_callback);
   SIZE(clap_plugin_t, "PluginStruct");
   OFF(clap_plugin_t, "PluginStruct", process);
   OFF(clap_plugin_t, "PluginStruct", on_main_thread);
   SIZE(clap_event_header_t, "EventHeader");
   SIZE(clap_event_param_value_t, "EventParamValue");
   OFF(clap_event_param_value_t, "EventParamValue", cookie);
   OFF(clap_event_param_value_t, "EventParamValue", note_id);
   OFF(clap_event_param_value_t, "EventParamValue", key);
   OFF(clap_event_param_value_t, "EventParamValue", value);
   SIZE(clap_input_events_t, "InputEvents");
   SIZE(clap_output_events_t, "OutputEvents");
   SIZE(clap_audio_buffer_t, "AudioBuffer");
   OFF(clap_audio_buffer_t, "AudioBuffer", channel_count);
   OFF(clap_audio_buffer_t, "AudioBuffer", constant_mask);
   SIZE(clap_process_t, "Process");
   OFF(clap_process_t, "Process", frames_count);
   OFF(clap_process_t, "Process", audio_inputs);
   OFF(clap_process_t, "Process", audio_inputs_count);
   OFF(clap_process_t, "Process", in_events);
   OFF(clap_process_t, "Process", out_events);
   SIZE(clap_param_info_t, "ParamInfo");
   OFF(clap_param_info_t, "ParamInfo", cookie);
   OFF(clap_param_info_t, "ParamInfo", name);
   OFF(clap_param_info_t, "ParamInfo", module);
   OFF(clap_param_info_t, "ParamInfo", min_value);
   OFF(clap_param_info_t, "ParamInfo", default_value);
   SIZE(clap_plugin_params_t, "PluginParams");
   SIZE(clap_audio_port_info_t, "AudioPortInfo");
   OFF(clap_audio_port_info_t, "AudioPortInfo", flags);
   OFF(clap_audio_port_info_t, "AudioPortInfo", port_type);
   OFF(clap_audio_port_info_t, "AudioPortInfo", in_place_pair);
   SIZE(clap_plugin_audio_ports_t, "PluginAudioPorts");
   SIZE(clap_istream_t, "IStream");
   SIZE(clap_ostream_t, "OStream");
   SIZE(clap_plugin_state_t, "PluginState");
   SIZE(clap_plugin_latency_t, "PluginLatency");
   SIZE(clap_host_latency_t, "HostLatency");
   SIZE(clap_host_thread_check_t, "HostThreadCheck");
   SIZE(clap_host_params_t, "HostParams");
   return 0;
}
