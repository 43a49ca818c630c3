import { Icon } from "./icons";
import type { TreeNode } from "./task-stream-reducer";

const kindIcon = {
  question: "question",
  search: "search",
  learning: "bulb",
  thinking: "bulb",
  source: "doc",
} as const;
const kindLabel = {
  question: "Sub-question",
  search: "Search",
  learning: "Learning",
  thinking: "Model reasoning",
  source: "Source",
} as const;

function Row({ node }: { node: TreeNode }) {
  if (node.kind === "thinking") {
    // A model's reasoning: folded away, never part of the report.
    return (
      <details className="tree-thinking">
        <summary>Thinking</summary>
        <p className="tree-thinking-text">{node.label}</p>
      </details>
    );
  }
  return (
    <div className="tree-row">
      <span className="tree-icon" title={kindLabel[node.kind]}>
        <Icon name={kindIcon[node.kind]} size={14} />
      </span>
      <span className="visually-hidden">{kindLabel[node.kind]}: </span>
      <span className="tree-label" title={node.kind === "learning" ? node.label : undefined}>
        {node.label}
      </span>
    </div>
  );
}

function Branch({ nodes, byParent }: { nodes: TreeNode[]; byParent: Map<string, TreeNode[]> }) {
  return (
    <ul className="tree-list">
      {nodes.map((node) => {
        const children = byParent.get(node.id) ?? [];
        const sources = children.filter((child) => child.kind === "source");
        const others = children.filter((child) => child.kind !== "source");
        return (
          <li key={node.id} className={`tree-node tree-${node.kind}`}>
            <Row node={node} />
            {sources.length > 0 ? (
              // Sources found by a search fold away: a deep research finds dozens.
              <details className="tree-sources">
                <summary>
                  {sources.length} source{sources.length === 1 ? "" : "s"} found
                </summary>
                <ul className="tree-list">
                  {sources.map((source) => (
                    <li key={source.id} className="tree-node tree-source">
                      <Row node={source} />
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
            {others.length > 0 ? <Branch nodes={others} byParent={byParent} /> : null}
          </li>
        );
      })}
    </ul>
  );
}

/** The research tree (sub-questions → searches → sources found), in the order it grew. */
export function ResearchTree({ nodes, sourceCount }: { nodes: TreeNode[]; sourceCount: number }) {
  const ids = new Set(nodes.map((node) => node.id));
  const roots: TreeNode[] = [];
  const byParent = new Map<string, TreeNode[]>();
  for (const node of nodes) {
    if (node.parentId && ids.has(node.parentId)) {
      const siblings = byParent.get(node.parentId) ?? [];
      siblings.push(node);
      byParent.set(node.parentId, siblings);
    } else {
      roots.push(node);
    }
  }
  const counts = { question: 0, search: 0, learning: 0, thinking: 0, source: 0 };
  for (const node of nodes) counts[node.kind] += 1;
  // Searches name the sub-question they belong to even when the engine sends no node for it.
  const questions =
    counts.question ||
    new Set(nodes.filter((node) => node.kind === "search").map((node) => node.parentId ?? node.id)).size;
  return (
    <div className="tree">
      <dl className="tree-stats">
        <div>
          <dt>Questions</dt>
          <dd>{questions}</dd>
        </div>
        <div>
          <dt>Searches</dt>
          <dd>{counts.search}</dd>
        </div>
        <div>
          <dt>Sources</dt>
          <dd>{sourceCount}</dd>
        </div>
      </dl>
      {nodes.length === 0 ? (
        <p className="muted small">The research plan appears here as the task explores its question.</p>
      ) : (
        <Branch nodes={roots} byParent={byParent} />
      )}
    </div>
  );
}
