const ln=989,mn=[989],$n={6338:((S,M,$)=>{$.d(M,{dP:()=>o,dy:()=>w,zV:()=>g});function g(u,y,x){const f=y(u,0);if(x(f))return f;let d=0,h=u.length-1;for(;d<h;){const m=Math.ceil((d+h)/2);x(y(u.slice(0,m),u.length-m))?d=m:h=m-1}return y(u.slice(0,d),u.length-d)}function w(u){return Buffer.byteLength(u,"utf8")}function o(u){return`${Math.ceil(u/1024)} KiB`}}),4031:((S,M,$)=>{$.d(M,{DV:()=>x,FV:()=>o,ZD:()=>u,ti:()=>y});const g=/[\\`*_[\]|~]/g,w={"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"};function o(f){return u(f).replace(/\r?\n/g," ").replace(g,d=>`\\${d}`)}function u(f){return f.replace(/[&<>"']/g,d=>w[d]??d)}function y(f){const d=Math.max(0,...[...f.matchAll(/`+/g)].map(V=>V[0].length)),h="`".repeat(d+1),m=f.startsWith("`")||f.endsWith("`")?" ":"";return`${h}${m}${f.replace(/\r?\n/g," ")}${m}${h}`}function x(f,d=""){const h=Math.max(0,...[...f.matchAll(/`{3,}/g)].map(T=>T[0].length)),m="`".repeat(Math.max(3,h+1)),V=f.endsWith(`
`)?f:`${f}
`;return`${m}${d}
${V}${m}`}}),6989:((S,M,$)=>{$.r(M),$.d(M,{renderInputError:()=>tn,renderMarkdown:()=>en,renderText:()=>z});var g=$(1619);function w(n){if(n<1e3)return`${Math.round(n)} ms`;const e=n/1e3;if(e<60)return`${e.toFixed(1)} s`;const t=Math.round(e);return`${Math.floor(t/60)} min ${t%60} s`}var o=$(4031);function u(n,e){return e>0&&n!==void 0?100*n/e:void 0}function y(n){return n===void 0?"\u2014":`${Number(n.toFixed(3))}%`}function x(n){return`${Number((n*100).toFixed(2))}%`}function f(n){const e=[];if(n.maxErrorRateIncrease!==void 0&&e.push({title:"Error rate",axis:"errors (%)",of:t=>u(t.errors,t.requests)}),n.latency){const t=n.latency.boundMs;e.push({title:`Share of requests slower than ${t} ms`,axis:`above ${t} ms (%)`,of:a=>u(a.slow,a.requests)})}return e}function d(n){const e=[];if(n.maxErrorRateIncrease!==void 0&&e.push(`error rate +${n.maxErrorRateIncrease} points`),n.maxLatencyIncrease!==void 0&&n.latency){const{boundMs:i,stableShareAbove:r,allowedShareAbove:s}=n.latency;e.push(`latency +${n.maxLatencyIncrease}% (share above ${i} ms, the stable's p90 bucket: ${y(100*r)} before the write, up to ${y(100*s)} allowed)`)}const t=n.ticks[0],a=[`Decision: ${n.decision} (confidence ${x(n.confidence)}); allowed: ${e.join(", ")}.`];return t&&a.push(`Every figure counts the requests from the write (${t.from}) to its tick; the last tick is ${n.ticks[n.ticks.length-1].to}.`),n.latency&&a.push(`The latency bound comes from the stable's histogram from ${n.latency.from} to ${n.latency.to} (before the write).`),a}function h(n){const e=f(n),t=["after write","canary requests","stable requests",...e.flatMap(i=>[`canary ${i.axis}`,`stable ${i.axis}`]),"verdict","confidence"],a=n.ticks.map(i=>[`${i.seconds}s`,String(i.canary.requests),String(i.stable.requests),...e.flatMap(r=>[y(r.of(i.canary)),y(r.of(i.stable))]),i.verdict==="continue"?"\u2026":i.verdict,x(i.confidence)]);return[t,...a]}function m(n){return n.replace(/["\\\r\n]/g,"")}function V(n,e){const t=n.ticks.map(s=>s.seconds),a=s=>n.ticks.map(v=>Number((e.of(v[s])??0).toFixed(3))),i=[...a("stable"),...a("canary")],r=Math.max(1,...i)*1.1;return(0,o.DV)(["xychart-beta",`  title "${m(`${e.title}: stable ${n.stable} (first line), canary ${n.canary} (second)`)}"`,`  x-axis "seconds after the write" [${t.join(", ")}]`,`  y-axis "${m(e.axis)}" 0 --> ${Number(r.toFixed(3))}`,`  line [${a("stable").join(", ")}]`,`  line [${a("canary").join(", ")}]`].join(`
`),"mermaid")}function T(n,e){const[t,...a]=h(n),i=v=>`| ${v.map(o.FV).join(" | ")} |`,r=[i(t),i(t.map(()=>"---")),...a.map(i)].join(`
`),s=`<details><summary>PromQL used</summary>

${(0,o.DV)(n.queries.join(`
`),"promql")}

</details>`;return[`### ${(0,o.FV)(e)}: ${(0,o.FV)(n.canary)} against ${(0,o.FV)(n.stable)}`,d(n).map(o.FV).join(`
`),...f(n).map(v=>V(n,v)),`<details><summary>${(0,o.ZD)(`Per tick (${n.ticks.length})`)}</summary>

${r}

</details>`,s].join(`

`)}var l=$(1349),j=$(6338),I=$(9168);const G={note:"NOTE",warning:"WARNING",failure:"CAUTION"},W="\u2014";function R(n,e){const t=a=>`| ${a.join(" | ")} |`;return[t(n),t(n.map(()=>"---")),...e.map(t)].join(`
`)}function Z(n){return R(["Namespace","Stable","Canary","Canary weight","Changed","Healthy"],[[(0,o.FV)(n.namespace),(0,o.FV)(n.stable),(0,o.FV)(n.canary),(0,l.x_)(n),(0,l.Lm)(n.changed),n.healthy?"\u2705 yes":"\u274C no"]])}function F(n){return`> [!${G[n.level]}]
> ${(0,o.FV)(n.text)}`}function O(n,e){const t=e>0?[[`\u2026 ${e} more routes not shown (job summary size limit)`,"",""]]:[];return`### Routing (before \u2192 after)

${R(["Match","Before","After"],[...n,...t])}`}function P(n){return(0,I.F7)(n.before,n.after).map(e=>[(0,o.FV)(e.match),(0,o.FV)(e.before??W),(0,o.FV)(e.after??W)])}function K(n){return n.replace(/["\\\r\n]/g,"")}function U(n){const e=(0,I.Qm)(n.after);if(e.length===0)return;const t=e.map(({subset:a,weight:i})=>`    "${K(a)}" : ${i}`);return(0,o.DV)(["pie showData title Default route split",...t].join(`
`),"mermaid")}function X(n){return[n.ok?"\u2705":"\u274C",(0,o.FV)(n.name),w(n.durationMs),(0,o.FV)(n.detail)]}function J(n){if(n.checks.length!==0)return`### Health checks

${R(["","Check","Duration","Detail"],n.checks.map(X))}`}function k(n,e,t=!1){return`<details${t?" open":""}><summary>${(0,o.ZD)(n)}</summary>

${e}

</details>`}function q(n){const e=(0,l.IV)(n);return(0,l.wM)(n).map(({kind:t,yaml:a})=>k(`${t} (${e})`,(0,o.DV)(a,"yaml")))}function B(n){if(n.diff.trim()!=="")return k(n.dryRun?"Diff (dry run)":"Diff",(0,o.DV)(n.diff,"diff"),n.dryRun)}const _=1024*1024;function N(n){return`## istio-canary: ${(0,o.ti)(n.stage)} ${(0,o.FV)(n.service)}`}function A(n,e=O(P(n),0),t=[...q(n),B(n)]){return(0,l.wi)(n)?(0,l.oE)(n).map(F):[Z(n),...(0,l.oE)(n).map(F),e,U(n),J(n),...n.checks.flatMap(a=>a.comparison?[T(a.comparison,a.name)]:[]),...t]}function L(n){return`${n.filter(e=>e!==void 0).join(`

`)}
`}function nn(n){const e=n.clusters??[],t=(0,g.i0)(e).map(r=>[(0,o.FV)(r.cluster),r.wave,(0,o.FV)(r.split),`${r.health==="healthy"||r.health==="read"?"\u2705":"\u274C"} ${(0,o.FV)(r.health)}`,r.restored]),a=n.stage==="status"?(0,g.IG)(e):void 0,i=e.map(r=>k(`${r.cluster}${r.wave===void 0?" (workloads)":` (wave ${r.wave})`}`,L(A(r.result))));return L([`${N(n)} in ${e.length} clusters`,...n.error?[F({level:"failure",text:`Failed: ${n.error.message}`})]:[],...a?[F({level:"warning",text:a})]:[],R(["Cluster","Wave","Split (before \u2192 after)","Health","Restored"],t),...i])}function en(n,e=_){if(n.clusters)return nn(n);const t=L([N(n),...A(n)]);if((0,j.dy)(t)<=e)return t;const a=[...q(n),B(n)].filter(r=>r!==void 0),i=F({level:"note",text:`The applied YAML and the diff (${(0,j.dP)((0,j.dy)(a.join(`

`)))}) are left out: a job summary holds at most 1 MiB. The step's outputs virtual-service and destination-rule carry the YAML.`});return(0,j.zV)(P(n),(r,s)=>L([N(n),...A(n,O([...r],s),[i])]),r=>(0,j.dy)(r)<=e)}function tn(n,e){const t=e?`Fix the input ${(0,o.ti)(e)} of the step; nothing was read from or written to the cluster.`:"Fix the inputs of the step; nothing was read from or written to the cluster.";return`${["## istio-canary: invalid input",F({level:"failure",text:n}),t].join(`

`)}
`}const H=20,Y="\u2014",Q={note:"Note",warning:"Warning",failure:"Error"};function b(n){return n.replace(/\r?\n/g," ")}function C(n){return n.replace(/\n$/,"").split(`
`).map(e=>`  ${e}`).join(`
`)}function E(n){const e=n[0]?.map((t,a)=>Math.max(...n.map(i=>(i[a]??"").length)))??[];return n.map(t=>t.map((a,i)=>i===t.length-1?a:a.padEnd(e[i]??0)).join("  ").trimEnd())}function an(n){const e=Math.round(n/100*H);return`${"\u2588".repeat(e)}${"\u2591".repeat(H-e)}`}function D(n,e){return[n,...e.map(t=>`  ${t}`)].join(`
`)}function on(n){const e=n.clusters??[],t=n.stage==="status"?(0,g.IG)(e):void 0,a=["cluster","wave","split (before \u2192 after)","health","restored"],i=(0,g.i0)(e).map(s=>[s.cluster,s.wave,s.split,b(s.health),s.restored]);return`${[`istio-canary ${n.stage} ${n.service} (namespace ${n.namespace}) in ${e.length} clusters`,...n.error?[`Error: ${b(n.error.message)}`]:[],...t?[`Warning: ${t}`]:[],D("Clusters",E([a,...i])),...e.map(s=>`${s.cluster}${s.wave===void 0?" (workloads)":` (wave ${s.wave})`}
${C(z(s.result))}`)].join(`

`)}
`}function z(n){if(n.clusters)return on(n);const e=`istio-canary ${n.stage} ${n.service} (namespace ${n.namespace})`,t=(0,l.oE)(n).map(c=>c.level==="failure"&&n.error?`${Q.failure}: ${b(n.error.message)}`:`${Q[c.level]}: ${b(c.text)}`);if((0,l.wi)(n))return`${[e,...t].join(`

`)}
`;const a=[e,`  stable ${n.stable}, canary ${n.canary}, canary weight ${(0,l.x_)(n)}, changed: ${(0,l.Lm)(n.changed)}, healthy: ${(0,l.Lm)(n.healthy)}`].join(`
`),i=D("Routing (before \u2192 after)",E((0,I.F7)(n.before,n.after).map(c=>[b(c.match),c.before??Y,"\u2192",c.after??Y]))),r=(0,I.Qm)(n.after),s=r.length?D("Split (default route)",E(r.map(({subset:c,weight:p})=>[c,an(p),`${p}%`]))):void 0,v=n.checks.length?D("Health checks",E(n.checks.map(c=>[c.ok?"\u2713":"\u2717",b(c.name),w(c.durationMs),b(c.detail)]))):void 0,rn=n.checks.flatMap(({name:c,comparison:p})=>p?[D(`${b(c)}: ${p.canary} against ${p.stable}`,[...d(p),...E(h(p)),"PromQL used:",...p.queries.map(dn=>`  ${dn}`)])]:[]),sn=(0,l.IV)(n),cn=(0,l.wM)(n).map(({kind:c,yaml:p})=>`${c} (${sn})
${C(p)}`),fn=n.diff.trim()?`Diff
${C(n.diff)}`:void 0;return`${[a,...t,i,s,v,...rn,...cn,fn].filter(c=>c!==void 0).join(`

`)}
`}})};export{ln as id,mn as ids,$n as modules};
